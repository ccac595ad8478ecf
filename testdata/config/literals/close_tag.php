<?PHP
$CONFIG = array(
  'first' => 1,
)
?>
Text after the close tag is output, not configuration.
<?php
$CONFIG['second'] = 2 ?>

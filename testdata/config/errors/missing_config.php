<?php
// A file that never mentions the variable Nextcloud reads,
/* except in a comment: $CONFIG = array(); */
;
?>

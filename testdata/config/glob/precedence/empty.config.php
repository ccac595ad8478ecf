<?php
// Contributes nothing when the variable is unset.
if (getenv('UNSET_IN_THIS_TEST')) {
  $CONFIG = array('order' => 'empty.config.php');
}

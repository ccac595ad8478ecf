<?php
// Replaces 'redis' whole: port and password from config.php do not survive.
$CONFIG = array (
  'redis' => array (
    'host' => 'override-redis',
  ),
);

<?php
$CONFIG = array(
  'redis' => array(
    'host' => 'localhost',
    'port' => 6379,
  ),
));

<?php
$CONFIG = array (
  'redis' => array (
    'host' => getenv('NC_REDIS_HOST'),
    'port' => 6390,
  ),
);

<?php
$CONFIG = array (
  0 => 'integer key in config.php',
  'dbtype' => 'mysql',
  'overwrite.cli.url' => 'https://main.example.com',
  'redis' => array (
    'host' => 'main-redis',
    'port' => 6379,
    'password' => 'main',
  ),
  'order' => 'config.php',
  'order_case' => 'config.php',
);

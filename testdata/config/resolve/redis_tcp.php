<?php
$CONFIG = array (
  'redis' => array (
    'host' => 'redis.example.com',
    'port' => '6380',
    'timeout' => 1.5,
  ),
);

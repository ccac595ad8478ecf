<?php
$CONFIG = array (
  'redis' => array (
    'host' => '/run/redis/redis.sock',
    'port' => 0,
    'user' => 'push',
    'password' => 'p@ss,word',
    'dbindex' => 3,
  ),
);

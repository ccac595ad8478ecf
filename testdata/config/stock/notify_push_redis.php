<?php
$CONFIG = array (
  'dbtype' => 'mysql',
  'dbhost' => '[fd00::5]:3306',
  'dbname' => 'nextcloud',
  'dbuser' => 'nextcloud',
  'dbpassword' => 'secret',
  'overwrite.cli.url' => 'https://cloud.example.com',
  'redis' => array (
    'host' => 'cache.example.com',
    'port' => 6379,
    'password' => 'cache-only',
  ),
  // the push server talks to its own Redis
  'notify_push_redis' => array (
    'host' => 'push-redis.example.com',
    'port' => 6390,
    'password' => 'push-only',
    'dbindex' => 2,
  ),
);

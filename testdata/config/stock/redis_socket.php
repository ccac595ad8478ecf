<?php
$CONFIG = array (
  'dbtype' => 'sqlite3',
  'datadirectory' => '/var/www/html/data',
  'overwrite.cli.url' => 'https://cloud.example.com',
  'memcache.locking' => '\OC\Memcache\Redis',
  'redis' => 
  array (
    'host' => '/var/run/redis/redis-server.sock',
    'port' => 0,
    'timeout' => 0.0,
  ),
);

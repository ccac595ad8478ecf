<?php
$CONFIG = array (
  'dbtype' => 'mysql',
  'dbhost' => 'db',
  'dbname' => 'nextcloud',
  'dbuser' => 'nextcloud',
  'dbpassword' => 'secret',
  'overwrite.cli.url' => 'https://cloud.example.com',
  'memcache.distributed' => '\\OC\\Memcache\\Redis',
  'memcache.locking' => '\\OC\\Memcache\\Redis',
  'redis' => [
    'host' => 'redis.example.com',
    'port' => 6380,
    'user' => 'nextcloud',
    'password' => 'r3dis',
    'dbindex' => 1,
    'timeout' => 1.5,
    'read_timeout' => 1.5,
    'ssl_context' => [
      'local_cert' => '/certs/redis.crt',
      'local_pk' => '/certs/redis.key',
      'cafile' => '/certs/ca.crt',
      'verify_peer_name' => false,
    ],
  ],
);

<?php
$CONFIG = array (
  'dbtype' => 'pgsql',
  'dbhost' => 'postgres',
  'dbname' => 'nextcloud',
  'dbuser' => 'nextcloud',
  'dbpassword' => 'secret',
  'overwrite.cli.url' => 'https://cloud.example.com',
  'memcache.distributed' => '\OC\Memcache\Redis',
  'memcache.locking' => '\OC\Memcache\Redis',
  'redis.cluster' => [
    'seeds' => [ // the cluster's nodes, host:port
      'redis-1:7000',
      'redis-2:7001',
      'redis-3:7002',
    ],
    'timeout' => 0.0,
    'read_timeout' => 0.0,
    'failover_mode' => \RedisCluster::FAILOVER_ERROR,
    'user' => 'push',
    'password' => 'cluster secret',
    'ssl_context' => [
      'cafile' => '/etc/ssl/redis-ca.pem',
      'verify_peer' => false,
    ],
  ],
);

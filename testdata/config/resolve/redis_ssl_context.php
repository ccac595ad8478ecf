<?php
$CONFIG = array (
  'redis' => array (
    'host' => 'redis.example.com',
    'port' => 6379,
    'ssl_context' => array (
      'local_cert' => '/etc/nextcloud/redis-client.crt',
      'local_pk' => '/etc/nextcloud/redis-client.key',
      'cafile' => '/etc/nextcloud/redis-ca.crt',
      'verify_peer' => getenv('NC_VERIFY') !== 'no',
      'verify_peer_name' => false,
    ),
  ),
);

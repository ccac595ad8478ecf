<?php
// TLS does not apply to a unix socket: the ssl_context is ignored.
$CONFIG = array (
  'redis' => array (
    'host' => '/var/run/redis/redis.sock',
    'ssl_context' => array ('cafile' => '/etc/ssl/ca.pem'),
  ),
);

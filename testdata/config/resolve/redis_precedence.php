<?php
// All three Redis keys: notify_push_redis wins over redis.cluster, which
// wins over redis.
$CONFIG = array (
  'redis' => array ('host' => 'cache.example.com', 'password' => 'cache'),
);
if (getenv('NC_CLUSTER')) {
  $CONFIG['redis.cluster'] = array (
    'seeds' => array ('node-1:7000', 'tls://node-2:7001', '[fd00::3]:7002'),
    'password' => 'cluster',
    'dbindex' => 'ignored in cluster mode',
  );
}
if (getenv('NC_PUSH')) {
  $CONFIG['notify_push_redis'] = array (
    'host' => 'push.example.com',
    'port' => 6390,
  );
}

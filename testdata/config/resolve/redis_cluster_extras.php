<?php
// A cluster has only database 0, so dbindex is ignored whatever its value;
// one rediss:// or tls:// seed puts the whole cluster on TLS; verify_peer
// false turns the certificate checks off.
$CONFIG = array (
  'redis.cluster' => array (
    'seeds' => array ('node-1:7000', getenv('NC_SEED')),
    'dbindex' => 3,
    'password' => 'secret',
    'ssl_context' => array ('verify_peer' => getenv('NC_VERIFY') !== 'no'),
  ),
);

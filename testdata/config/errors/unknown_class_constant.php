<?php
$CONFIG = array(
  'redis.cluster' => array(
    'failover_mode' => \RedisCluster::FAILOVER_SOMETIMES,
  ),
);

<?php
$CONFIG = array (
  'redis.cluster' => array (
    'seeds' => getenv('NC_SEEDS') ? explode(',', getenv('NC_SEEDS')) : 'redis-1:7000',
  ),
);
if (getenv('NC_NO_SEEDS')) {
  $CONFIG['redis.cluster'] = array ('password' => 'x');
}

<?php
// notify_push_redis with seeds is a cluster too.
$CONFIG = array (
  'notify_push_redis' => array (
    'seeds' => array ('push-1:7000'),
    'user' => 'push',
    'password' => 'secret',
  ),
);

<?php
// A user name without a password: Nextcloud does not authenticate.
$CONFIG = array (
  'redis' => array (
    'host' => 'redis',
    'user' => 'push',
    'password' => '',
  ),
);

<?php
$CONFIG = array (
  'redis' => array (
    'host' => '[::1]',
    'password' => 'only-a-password',
    'user' => '',
    'dbindex' => 0,
  ),
);

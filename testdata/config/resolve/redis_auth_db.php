<?php
$CONFIG = array (
  'redis' => array (
    'host' => '10.0.0.9',
    'port' => 6379,
    'user' => 'nc',
    'password' => 'pw:/@,',
    'dbindex' => '2',
  ),
);

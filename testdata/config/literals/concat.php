<?php
$CONFIG = [
  'strings' => 'a' . 'b' . "c",
  'spaced' => 'one'.'two' .'three'. 'four',
  'with_path' => '/var/www' . '/html' . '/data',
  'numbers' => '1' . 2 . 3.5 . -4,
  'scalars' => 'true:' . true . ' false:' . false . ' null:' . null,
  'floats' => 0.1 . ' ' . 1e14 . ' ' . 1e13 . ' ' . 0.00001 . ' ' . 0.0001 . ' ' . -1.5e25 . ' ' . 123456789012345.678 . ' ' . 1e100 . ' ' . -0.0 . ' ' . 100.0 . ' ' . 1e999,
  'precision' => 'third:' . 0.3333333333333333333,
  'constant' => 'mode ' . \RedisCluster::FAILOVER_ERROR,
  'nested' => ['k' . 'ey' => 'va' . 'lue'],
  'hex_int' => 0x10 . '',
];

<?php
// An empty redis array: phpredis' defaults, 127.0.0.1:6379.
$CONFIG = array (
  'redis' => array (),
);

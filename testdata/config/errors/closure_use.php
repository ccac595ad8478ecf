<?php
$suffix = '!';
$CONFIG = array(
  'seeds' => array_map(function ($s) use ($suffix) { return $s . $suffix; }, ['a']),
);

<?php
// The functions the image's files use to turn lists in environment
// variables into arrays.
$CONFIG = array(
  'explode' => explode(',', 'a,b,,c'),
  'explode_false' => explode(',', getenv('UNSET')),
  'explode_no_separator' => explode(';', 'one'),
  'map_trim' => array_map('trim', explode(',', ' a , b ')),
  'map_closure' => array_map(function ($x) { return $x . '!'; }, ['k' => 'v', 5 => 'w']),
  'filter' => array_filter(['a', '', '0', 'b', null, 0, 'c']),
  'filter_closure' => array_filter(['x' => 1, 'y' => 2, 'z' => 3], function ($n) { return $n != 2; }),
  'values' => array_values(array_filter(['', 'a', '', 'b'])),
  'lower' => strtolower('MiXeD Case ÄÖ'),
  'lower_callback' => array_map('strtolower', ['A', 'B']),
  'nested_closure' => array_map(function ($row) { return array_map('trim', explode('|', $row)); }, ['a | b', 'c']),
);

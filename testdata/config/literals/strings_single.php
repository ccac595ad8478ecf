<?php
// Single quotes: only \\ and \' are escapes, everything else is literal.
$CONFIG = array(
  'plain' => 'hello world',
  'empty' => '',
  'quote' => 'it\'s',
  'backslash' => 'C:\\path',
  'lone_backslash' => 'a\b',
  'not_escapes' => '\n\t\$\x41\u{41}\101',
  'dollar' => '$notAVariable {$nor} ${this}',
  'class' => '\OC\Memcache\Redis',
  'trailing_backslash' => 'end\\',
  'multi_line' => 'line one
line two',
  'double_inside' => '"quoted"',
  'utf8' => 'grüße, 雲',
  "key in double quotes" => 'value',
  b'binary prefix' => b'same string',
);

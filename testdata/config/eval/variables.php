<?php
// Local variables: assigned, read, copied by value, assigned inside a
// condition, undefined ones read as null.
$name = getenv('SET');
$list = ['a', ['b']];
$copy = $list;
$CONFIG = array('name' => $name, 'list' => $list);
$CONFIG['list'][1][] = 'changed in $CONFIG only';
$CONFIG['copy'] = $copy;
$other = 1;
$other = $other . '2';
$CONFIG['other'] = $other;
if ($found = getenv('SET')) {
  $CONFIG['found'] = $found;
}
if ($missing = getenv('UNSET')) {
  $CONFIG['missing'] = 'never';
}
$CONFIG['missing_is_false'] = $missing;
$CONFIG['undefined'] = $undefined;
$CONFIG['undefined_coalesced'] = $undefined ?? 'default';
$CONFIG['chained'] = $a = $b = 'both';
$CONFIG['a_and_b'] = $a . $b;
$CONFIG['root'] = OC::$SERVERROOT . '/data';
$CONFIG['root_qualified'] = \OC::$SERVERROOT;

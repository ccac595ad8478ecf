<?php
$CONFIG = array();
if (getenv('NOT_SET')) {
  $CONFIG['a'] = array(1, 2;
  if (true) {
    $CONFIG['b'] = 2;
}

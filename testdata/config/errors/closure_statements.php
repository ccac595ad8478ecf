<?php
$CONFIG = array(
  'seeds' => array_filter(['a'], function ($s) {
    $t = trim($s);
    return $t !== '';
  }),
);

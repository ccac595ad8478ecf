<?php
$CONFIG = array(
  'seeds' => array_map('trim', 'a, b'),
);

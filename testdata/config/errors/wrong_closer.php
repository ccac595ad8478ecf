<?php
$CONFIG = array(
  'seeds' => ['a:1', 'b:2'),
);

<?php
$CONFIG = array(
  'seeds' => array_map('str_rot13', ['a']),
);

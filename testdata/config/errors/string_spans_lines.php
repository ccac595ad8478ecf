<?php
$CONFIG = array(
  'dbhost' => 'localhost,
  'dbname' => 'nextcloud',
);

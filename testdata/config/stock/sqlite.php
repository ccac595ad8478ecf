<?php
$CONFIG = array (
  'instanceid' => 'ocsqlite0001',
  'passwordsalt' => 'salt',
  'secret' => 'secret',
  'trusted_domains' => 
  array (
    0 => 'localhost:8080',
  ),
  'datadirectory' => '/var/www/html/data',
  'dbtype' => 'sqlite3',
  'version' => '31.0.0.18',
  'overwrite.cli.url' => 'http://localhost:8080',
  'installed' => true,
);

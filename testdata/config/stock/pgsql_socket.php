<?php
$CONFIG = array (
  'dbtype' => 'pgsql',
  'dbname' => 'nextcloud',
  'dbhost' => 'localhost:/var/run/postgresql/.s.PGSQL.5432',
  'dbuser' => 'www-data',
  'dbpassword' => '',
  'dbport' => 5432,
  'overwrite.cli.url' => 'http://[2001:db8::1]:8080',
);

<?php
// One database configuration whose type, host and port come from the
// environment, to run every dbhost form against the same file.
$CONFIG = array (
  'dbtype' => getenv('NC_DBTYPE') ?: null,
  'dbhost' => getenv('NC_DBHOST') ?: '',
  'dbport' => getenv('NC_DBPORT') ?: '',
  'dbname' => 'nextcloud',
  'dbuser' => 'nc',
  'dbpassword' => 'p@ss word',
  'overwrite.cli.url' => 'https://cloud.example.com',
);

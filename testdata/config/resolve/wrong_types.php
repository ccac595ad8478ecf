<?php
// Every value of the wrong type is reported, each with its key, its place
// and the type wanted.
$CONFIG = array (
  'dbtype' => 'mysql',
  'dbhost' => array ('db'),
  'dbport' => array (3306),
  'dbname' => false,
  'dbuser' => 1.5,
  'dbpassword' => 'fine',
  'dbdriveroptions' => array (
    \PDO::MYSQL_ATTR_SSL_CA => true,
    \PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => 'false',
  ),
  'dbtableprefix' => array (),
  'overwrite.cli.url' => true,
  'redis' => array (
    'host' => 'redis',
    'port' => 'sixty',
    'password' => array ('x'),
    'dbindex' => -1,
    'ssl_context' => array ('verify_peer' => 'no', 'cafile' => 5.0),
  ),
);

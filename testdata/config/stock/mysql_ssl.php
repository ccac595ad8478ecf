<?php
$CONFIG = array (
  'dbtype' => 'mysql',
  'dbname' => 'nextcloud',
  'dbhost' => '10.0.0.5:3307',
  'dbuser' => 'nextcloud',
  'dbpassword' => 'secret',
  'dbtableprefix' => 'nc_',
  'dbdriveroptions' => array (
    \PDO::MYSQL_ATTR_SSL_KEY => '/etc/ssl/private/mysql-client.key',
    \PDO::MYSQL_ATTR_SSL_CERT => '/etc/ssl/certs/mysql-client.crt',
    \PDO::MYSQL_ATTR_SSL_CA => '/etc/ssl/certs/mysql-ca.crt',
    \PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => false,
  ),
  'overwrite.cli.url' => 'https://cloud.example.com/nextcloud',
);

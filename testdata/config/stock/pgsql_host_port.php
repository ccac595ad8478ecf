<?php
$CONFIG = array (
  'instanceid' => 'ocpg0000abcd',
  'trusted_domains' => 
  array (
    0 => 'cloud.example.org',
  ),
  'datadirectory' => '/srv/nextcloud/data',
  'dbtype' => 'pgsql',
  'version' => '29.0.9.2',
  'overwrite.cli.url' => 'https://cloud.example.org/',
  'dbname' => 'nextcloud',
  'dbhost' => 'db.internal.example.org:5433',
  'dbport' => '',
  'dbtableprefix' => 'oc_',
  'dbuser' => 'oc_admin',
  'dbpassword' => 'pg-p@ss:word',
  'installed' => true,
  'memcache.local' => '\OC\Memcache\APCu',
  'memcache.locking' => '\OC\Memcache\Redis',
  'redis' => array (
    'host' => 'localhost',
    'port' => 6379,
  ),
);

<?php
$CONFIG = array (
  'dbtype' => 'pgsql',
  'dbhost' => 'db',
  'dbtableprefix' => '',
);

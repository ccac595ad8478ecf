<?php
$CONFIG = array (
  'dbtype' => 'sqlite3',
  'dbname' => 'my,cloud',
  'datadirectory' => '/srv/cloud data/',
  'dbtableprefix' => 'nc2_',
);

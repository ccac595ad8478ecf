<?php
// Nothing about the database: Nextcloud's defaults, SQLite in the data
// folder beside the config folder.
$CONFIG = array (
  'overwrite.cli.url' => 'https://cloud.example.com',
);

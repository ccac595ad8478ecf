<?php
$CONFIG = array (
  'overwrite.cli.url' => 'https://z.example.com',
  7 => 'integer key in z.config.php',
);

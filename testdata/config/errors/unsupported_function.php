<?php
$CONFIG = array(
  'datadirectory' => '/var/www/data',
  'trusted_domains' => str_getcsv('a.example.com,b.example.com'),
);

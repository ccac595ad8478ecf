<?php
$CONFIG = array(
  'datadirectory' => '/var/www/data',
  'trusted_domains' => explode(',', 'a.example.com,b.example.com'),
);

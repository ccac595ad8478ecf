<?php
$CONFIG = [
  'redis' => [
    'host' => 'localhost',
  ],

<?php
$CONFIG = array(
  'log_type' => 'file',
  'logfile' => PHP_EOL,
);

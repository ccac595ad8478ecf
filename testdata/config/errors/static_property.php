<?php
$CONFIG = array (
  'apps_paths' => array (
    0 => array (
      'path' => OC::$WEBROOT.'/apps',
    ),
  ),
);

<?php
// Shaped like the official image's apps.config.php: app folders below the
// Nextcloud root, which PHP knows as OC::$SERVERROOT.
$CONFIG = array (
  "apps_paths" => array (
      0 => array (
              "path"     => OC::$SERVERROOT."/apps",
              "url"      => "/apps",
              "writable" => false,
      ),
      1 => array (
              "path"     => OC::$SERVERROOT."/custom_apps",
              "url"      => "/custom_apps",
              "writable" => true,
      ),
  ),
);

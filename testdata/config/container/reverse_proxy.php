<?php
if (getenv('OVERWRITEHOST')) {
  $CONFIG['overwritehost'] = getenv('OVERWRITEHOST');
}

if (getenv('OVERWRITEPROTOCOL')) {
  $CONFIG['overwriteprotocol'] = getenv('OVERWRITEPROTOCOL');
}

if (getenv('OVERWRITECLIURL')) {
  $CONFIG['overwrite.cli.url'] = getenv('OVERWRITECLIURL');
}

if (getenv('TRUSTED_PROXIES')) {
  $CONFIG['trusted_proxies'][] = getenv('TRUSTED_PROXIES');
}

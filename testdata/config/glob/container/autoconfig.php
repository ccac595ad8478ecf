<?php
// Shaped like the official image's autoconfig.php, which only the
// installer reads: it is not a *.config.php and sets $AUTOCONFIG.
$autoconfig_enabled = false;
if (getenv('POSTGRES_HOST') && getenv('POSTGRES_DB')) {
    $AUTOCONFIG['dbtype'] = 'pgsql';
    $AUTOCONFIG['dbname'] = getenv('POSTGRES_DB');
    $AUTOCONFIG['dbhost'] = getenv('POSTGRES_HOST');
    $autoconfig_enabled = true;
}
if ($autoconfig_enabled) {
    $AUTOCONFIG['directory'] = getenv('NEXTCLOUD_DATA_DIR') ?: '/var/www/html/data';
}

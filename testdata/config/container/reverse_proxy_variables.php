<?php
// The image's current reverse-proxy.config.php keeps getenv() results in
// local variables, which is outside the subset.
$overwriteHost = getenv('OVERWRITEHOST');
if ($overwriteHost) {
  $CONFIG['overwritehost'] = $overwriteHost;
}

<?php
$CONFIG = array('motd' => <<<EOT
Hello
EOT);

<?php
$CONFIG = array('path' => '/var');
$CONFIG['path'] .= '/www';

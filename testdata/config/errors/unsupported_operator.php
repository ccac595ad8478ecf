<?php
$CONFIG = array('port' => 6379 + 1);

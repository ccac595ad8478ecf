<?php
$CONFIG = array('port' => -'abc');

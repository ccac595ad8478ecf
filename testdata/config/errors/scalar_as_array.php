<?php
$CONFIG = array('redis' => 'localhost');
$CONFIG['redis']['port'] = 6379;

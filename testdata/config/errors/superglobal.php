<?php
$home = $_SERVER['HOME'];
$CONFIG = array('datadirectory' => $home . '/data');

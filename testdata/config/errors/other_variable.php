<?php
$CONFIG = array('a' => 1);
$other = array();
$other['b'] = 2;

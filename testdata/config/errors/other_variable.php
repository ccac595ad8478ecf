<?php
$CONFIG = array('a' => 1);
$other = 1;

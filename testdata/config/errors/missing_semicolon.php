<?php
$CONFIG = array('a' => 1)
$CONFIG['b'] = 2;

<?php
$CONFIG = array('a' => 1) ` 

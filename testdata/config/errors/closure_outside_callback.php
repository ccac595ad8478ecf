<?php
$keep = function ($s) { return $s !== ''; };
$CONFIG = array('seeds' => array_filter(['a'], $keep));

<?php
$CONFIG = array('port' => 0789);

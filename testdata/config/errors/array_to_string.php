<?php
$CONFIG = array('x' => 'a' . ['b']);

<?php
$CONFIG = array('x' => 'abc'['first']);

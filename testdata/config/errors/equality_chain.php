<?php
$CONFIG = array('x' => 1 == 1 == 1);

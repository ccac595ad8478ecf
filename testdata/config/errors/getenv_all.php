<?php
$CONFIG = array('env' => getenv());

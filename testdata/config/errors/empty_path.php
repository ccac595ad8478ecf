<?php
$CONFIG = array('secret' => trim(file_get_contents(getenv('SECRET_FILE'))));

<?php
$config = array('dbtype' => 'sqlite3');

<?php
$CONFIG = 'dbtype' . '=mysql';

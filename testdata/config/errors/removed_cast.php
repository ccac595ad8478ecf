<?php
$CONFIG = array('ratio' => (real) '1.5');

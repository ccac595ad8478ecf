<?php
$CONFIG = array('bom' => true);

<?php
$CONFIG = array('smile' => "\u{110000}");

<?php $CONFIG = ['notes' => 'not *.config.php'];

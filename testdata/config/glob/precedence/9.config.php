<?php $CONFIG = ['order' => '9.config.php'];

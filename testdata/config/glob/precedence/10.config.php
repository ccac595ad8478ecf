<?php $CONFIG = ['order' => '10.config.php'];

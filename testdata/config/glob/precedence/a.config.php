<?php $CONFIG = ['order_case' => 'a.config.php'];

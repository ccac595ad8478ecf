<?php $CONFIG = ['order_case' => 'B.config.php'];

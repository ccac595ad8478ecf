<?php
$CONFIG = array();
if (getenv('X'))
  $CONFIG['x'] = getenv('X');

<?php
$CONFIG = array();
else {
  $CONFIG['a'] = 1;
}

<?php
$CONFIG = array();
if (getenv('NOT_SET')) {
  $x = foo(1, 2];
}

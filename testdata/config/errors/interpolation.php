<?php
$CONFIG = array(
  'datadirectory' => "$root/data",
);

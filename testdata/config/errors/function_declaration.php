<?php
function getFileEnv($name) {
  return getenv($name);
}
$CONFIG = array();

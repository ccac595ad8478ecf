<?php
$CONFIG = array(
  'crlf' => 'line
breaks',
);

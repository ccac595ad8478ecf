<?php
$CONFIG = array(
  'list' => [9223372036854775807 => 'last', 'no room'],
);

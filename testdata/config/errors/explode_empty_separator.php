<?php
$CONFIG = array(
  'seeds' => explode('', 'a,b'),
);

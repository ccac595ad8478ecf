<?php
$CONFIG = array(
  'a' => 1, /* this comment
  never ends
);

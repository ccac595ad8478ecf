<?php
$CONFIG = 5;

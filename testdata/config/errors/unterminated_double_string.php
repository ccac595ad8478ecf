<?php
$CONFIG = ["dbpassword" => "ends with an escaped quote\"];

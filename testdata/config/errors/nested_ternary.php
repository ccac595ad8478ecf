<?php
$CONFIG['mode'] = getenv('A') ? 'a' : getenv('B') ? 'b' : 'c';

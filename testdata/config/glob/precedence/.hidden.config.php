<?php $CONFIG = ['hidden' => 'dot files are skipped, as glob() does'];

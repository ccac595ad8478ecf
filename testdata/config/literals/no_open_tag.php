$CONFIG = array('tag' => 'none');

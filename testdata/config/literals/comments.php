<?php
/**
 * A doc block, like the header Nextcloud's config.sample.php has.
 * $CONFIG = array('commented' => 'out');
 */
# hash comment
// slash comment with 'quotes" and (brackets
$CONFIG /* between tokens */ = array( // after the opener
  'a' => 1, # after a value
  /* 'b' => 2, */
  'c' /* key */ => /* value */ 3,
  // 'd' => 4,
  'url' => 'http://example.com/#not-a-comment', // the string holds // and #
  'e' => 5, /* multi
  line */ 'f' => 6,
  /**/ 'g' => 7,
);
// The comment ends at the close tag: ?>

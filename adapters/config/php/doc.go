// Package php reads Nextcloud's config.php files without running PHP.
//
// config.php is PHP source. This package understands the part of PHP that
// real configurations use: the `$CONFIG = array(...)` literal with strings,
// numbers, booleans, null, nested arrays, comments and a few class constants,
// plus the small statement subset of the official container image's
// *.config.php files (if/elseif/else on getenv(), `$CONFIG['a']['b'] = ...`,
// casts, ternaries, trim(file_get_contents(...)) for secrets). Environment
// and file reads go through injected functions so callers and tests decide
// what the files see.
//
// Anything outside that subset is reported as an *Error naming the construct
// and its file:line:col; the reader never guesses. Code on branches PHP would
// not run is only tokenised and bracket-matched, so an unsupported construct
// there does not stop a configuration from loading.
package php

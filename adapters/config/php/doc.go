// Package php reads Nextcloud's config.php files without running PHP.
//
// config.php is PHP source. This package understands the part of PHP that
// real configurations use: the `$CONFIG = array(...)` literal with strings,
// numbers, booleans, null, nested arrays, comments and a few class constants,
// plus what the official container image's *.config.php files do: if/elseif/
// else, `$CONFIG['a']['b'] = ...`, local variables (scoped to their file,
// copied by value, also assigned inside a condition), OC::$SERVERROOT, casts,
// ternaries, ==/===, and the functions getenv, trim, strtolower,
// file_get_contents (for *_FILE secrets), explode, array_map, array_filter
// and array_values, whose callbacks may be a function name or a closure
// `function ($x) { return <expr>; }`. Environment and file reads go through
// injected functions so callers and tests decide what the files see.
//
// Anything outside that subset is reported as an *Error naming the construct
// and its file:line:col; the reader never guesses. Code on branches PHP would
// not run is only tokenised and bracket-matched, so an unsupported construct
// there does not stop a configuration from loading. Values keep the position
// they were written at (Array.Pos), so that callers can point at a value of
// the wrong type.
package php

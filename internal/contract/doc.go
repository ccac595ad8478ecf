// Package contract holds one test suite per port that has more than one
// implementation: the same expectations run against the in-process adapter
// and the real one (Redis, Nextcloud over HTTP, each SQL dialect), so that
// the embedded default and production cannot drift apart. Each suite is one
// function taking a factory; adapters call it from their _test.go files.
// It imports testing: only tests may import it.
package contract

import "time"

// Wait bounds every wait of the suites: generous, for a loaded machine
// running the tests under -race. It is never a performance target.
const Wait = 5 * time.Second

package domain

import "fmt"

// maxTablePrefixLen keeps "{prefix}filecache" within PostgreSQL's 63-byte
// identifiers.
const maxTablePrefixLen = 54

// CheckTablePrefix accepts a table prefix (Nextcloud's dbtableprefix) that
// holds only ASCII letters, digits and underscores, at most 54 of them. The
// prefix is spliced into SQL text, so this check is what keeps it from
// injecting anything. The empty prefix is valid: tables are then plain
// "mounts" and "filecache".
func CheckTablePrefix(prefix string) error {
	if len(prefix) > maxTablePrefixLen {
		return fmt.Errorf("table prefix is %d characters long, at most %d allowed", len(prefix), maxTablePrefixLen)
	}
	for _, c := range []byte(prefix) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("table prefix %q may only hold letters, digits and underscores", prefix)
		}
	}
	return nil
}

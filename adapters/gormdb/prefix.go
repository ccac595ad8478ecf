package gormdb

import "fmt"

// DefaultPrefix is Nextcloud's default table prefix (dbtableprefix).
const DefaultPrefix = "oc_"

// maxPrefixLen keeps "{prefix}filecache" within PostgreSQL's 63-byte identifiers.
const maxPrefixLen = 54

// ValidatePrefix returns prefix, or DefaultPrefix when it is empty, after
// checking that it holds only ASCII letters, digits and underscores. The
// prefix is spliced into SQL text, so this check is what keeps it from
// injecting anything.
func ValidatePrefix(prefix string) (string, error) {
	if prefix == "" {
		return DefaultPrefix, nil
	}
	if len(prefix) > maxPrefixLen {
		return "", fmt.Errorf("table prefix is %d characters long, at most %d allowed", len(prefix), maxPrefixLen)
	}
	for _, c := range []byte(prefix) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return "", fmt.Errorf("table prefix %q may only hold letters, digits and underscores", prefix)
		}
	}
	return prefix, nil
}

package gormdb

import "github.com/notifypush/notify_push/domain"

// DefaultPrefix is Nextcloud's default table prefix (dbtableprefix).
const DefaultPrefix = "oc_"

// ValidatePrefix returns prefix after domain.CheckTablePrefix. The empty
// prefix is Nextcloud's too (tables mounts and filecache): the default oc_
// is the configuration's to apply when no prefix is set at all, not this
// package's to put in place of an empty one.
func ValidatePrefix(prefix string) (string, error) {
	if err := domain.CheckTablePrefix(prefix); err != nil {
		return "", err
	}
	return prefix, nil
}

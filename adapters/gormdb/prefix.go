package gormdb

import "github.com/notifypush/notify_push/domain"

// DefaultPrefix is Nextcloud's default table prefix (dbtableprefix).
const DefaultPrefix = "oc_"

// ValidatePrefix returns prefix, or DefaultPrefix when it is empty, after
// domain.CheckTablePrefix.
func ValidatePrefix(prefix string) (string, error) {
	if prefix == "" {
		return DefaultPrefix, nil
	}
	if err := domain.CheckTablePrefix(prefix); err != nil {
		return "", err
	}
	return prefix, nil
}

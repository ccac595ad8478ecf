package domain

import "strings"

// Version is the app series this server implements, reported by --version,
// POST /test/version and the startup check (PROTOCOL §11).
const Version = "1.4.0"

// SameSeries reports whether two versions share their first two dot-separated
// parts, the rule the app's self-test applies.
func SameSeries(a, b string) bool {
	return series(a) == series(b) && series(a) != ""
}

func series(v string) string {
	v = strings.TrimSpace(v)
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return ""
	}
	return parts[0] + "." + parts[1]
}

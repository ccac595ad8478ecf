package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is this server's own version: the app series it was written
// against (PROTOCOL §11). --version prints it; POST /test/version reports it
// when the app's version cannot be followed (see ReportVersion).
const Version = "1.4.0"

// SupportedAppSeries are the releases of the Nextcloud app whose protocol this
// server implements. The lower bound is the 0.6 series: from it on the app's
// own server requires file_id in every notify_storage_update (upstream PR
// #280, merged June 2023 between the 0.6.3 and 0.6.5 releases), as ours does;
// nothing on the wire has changed since (channels, payloads, messages, the
// /test routes). The upper bound is the next major release, which may change
// the protocol without notice.
var SupportedAppSeries = SeriesRange{From: Series{Major: 0, Minor: 6}, Before: Series{Major: 2, Minor: 0}}

// maxVersionLen bounds an app version worth echoing; real ones are short.
const maxVersionLen = 64

// Series is the major.minor part of a version: the part the app's self-test
// compares.
type Series struct {
	Major, Minor int
}

// ParseSeries reads the leading "major.minor" of a version such as 1.5.2 or
// 1.4.0-dev.0. It reports false for anything else.
func ParseSeries(v string) (Series, bool) {
	major, rest, ok := leadingNumber(v)
	if !ok || !strings.HasPrefix(rest, ".") {
		return Series{}, false
	}
	minor, _, ok := leadingNumber(rest[1:])
	if !ok {
		return Series{}, false
	}
	return Series{Major: major, Minor: minor}, true
}

// leadingNumber splits the decimal number that starts s from the rest.
func leadingNumber(s string) (int, string, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 6 {
		return 0, s, false
	}
	n, err := strconv.Atoi(s[:i])
	return n, s[i:], err == nil
}

// Less orders series.
func (s Series) Less(o Series) bool {
	return s.Major < o.Major || (s.Major == o.Major && s.Minor < o.Minor)
}

func (s Series) String() string { return fmt.Sprintf("%d.%d", s.Major, s.Minor) }

// SeriesRange is a span of series: From included, Before excluded.
type SeriesRange struct {
	From, Before Series
}

// Contains reports whether s lies in the range.
func (r SeriesRange) Contains(s Series) bool { return !s.Less(r.From) && s.Less(r.Before) }

func (r SeriesRange) String() string { return ">= " + r.From.String() + " and < " + r.Before.String() }

// VersionReport is what the server publishes in notify_push_version and why.
type VersionReport struct {
	// Version is the value to publish.
	Version string
	// Following is true when Version is the app's own.
	Following bool
	// Reason says why the app's version is not followed; empty when it is.
	Reason string
}

// ReportVersion decides the version to publish for the app's self-test, which
// passes when notify_push_version and the app's version agree up to their last
// dot. With follow on and an app version inside SupportedAppSeries it is the
// app's version itself: equal strings pass whatever the app cuts off (a
// release like 1.5.2 or a pre-release like 1.6.0-dev.0). Otherwise it is
// Version, with the reason.
func ReportVersion(appVersion string, follow bool) VersionReport {
	own := func(reason string) VersionReport { return VersionReport{Version: Version, Reason: reason} }
	appVersion = strings.TrimSpace(appVersion)
	switch {
	case !follow:
		return own("following the app's version is turned off")
	case appVersion == "":
		return own("the app's version is not known yet")
	case !wellFormedVersion(appVersion):
		return own(fmt.Sprintf("the app's version %q is not a version number", clip(appVersion)))
	}
	s, _ := ParseSeries(appVersion)
	if !SupportedAppSeries.Contains(s) {
		return own(fmt.Sprintf("the app's version %s is outside the app series this server implements (%s)",
			appVersion, SupportedAppSeries))
	}
	return VersionReport{Version: appVersion, Following: true}
}

// clip keeps a value quoted in a message short.
func clip(s string) string {
	if len(s) <= maxVersionLen {
		return s
	}
	return s[:maxVersionLen] + "…"
}

// wellFormedVersion accepts major.minor followed by version characters only,
// so that nothing odd is ever echoed into Redis.
func wellFormedVersion(v string) bool {
	if len(v) > maxVersionLen {
		return false
	}
	if _, ok := ParseSeries(v); !ok {
		return false
	}
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case strings.ContainsRune(".-+~_", r):
		default:
			return false
		}
	}
	return true
}

// AppAccepts applies the app's self-test rule to the version it read from
// notify_push_version: both versions cut at their last dot must be equal
// (PHP's substr($v, 0, strrpos($v, '.')), which cuts a dotless version to "").
func AppAccepts(appVersion, reported string) bool {
	cut := func(v string) string {
		if i := strings.LastIndexByte(v, '.'); i >= 0 {
			return v[:i]
		}
		return ""
	}
	return cut(appVersion) == cut(reported)
}

package config

import (
	"net"
	"strconv"
	"strings"
)

// URL pieces for the DATABASE_URL and REDIS_URL values config.php turns
// into. Everything outside RFC 3986's unreserved characters is
// percent-encoded, commas included, since REDIS_URL splits on commas and
// --dump-config masks lists.

// escapeURLPart percent-encodes all but A-Z a-z 0-9 - . _ ~.
func escapeURLPart(s string) string { return escapeExcept(s, "") }

// escapeExcept percent-encodes all but the unreserved characters and keep.
func escapeExcept(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' ||
			strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// escapePath percent-encodes a file path but keeps its slashes readable.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		parts[i] = escapeURLPart(part)
	}
	return strings.Join(parts, "/")
}

// userinfo is "user:password@", "user@", ":password@" or "".
func userinfo(user, password string) string {
	switch {
	case password != "":
		return escapeURLPart(user) + ":" + escapeURLPart(password) + "@"
	case user != "":
		return escapeURLPart(user) + "@"
	}
	return ""
}

// hostPort joins a host name or IP (IPv6 without brackets) and a port.
func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// isIP reports whether host is a literal IPv4 or IPv6 address.
func isIP(host string) bool { return net.ParseIP(host) != nil }

// query encodes parameters in the order given, so URLs read the same every
// time: pairs of name and value.
func query(pairs ...string) string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		parts = append(parts, pairs[i]+"="+escapeExcept(pairs[i+1], "/"))
	}
	if len(parts) == 0 {
		return ""
	}
	return "?" + strings.Join(parts, "&")
}

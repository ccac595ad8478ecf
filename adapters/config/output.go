package config

import (
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Usage writes --help: every setting with its flag, environment name and default.
func Usage(w io.Writer) {
	fmt.Fprint(w, `notify_push: push server for Nextcloud's Client Push app

Usage:
  notify_push [flags] [path/to/nextcloud/config/config.php]
  notify_push --embedded        try it without Nextcloud, Redis or a database

Flags override environment variables, which override a .env file in the
working directory, which overrides Nextcloud's config.php: the database,
Redis and Nextcloud URL are read from it when not given otherwise.

`)
	for _, s := range settings {
		name := "--" + s.flag
		if s.short != "" {
			name = "-" + s.short + ", " + name
		}
		if !s.bool {
			name += " <value>"
		}
		fmt.Fprintf(w, "  %s\n      %s", name, s.help)
		var notes []string
		if s.env != "" {
			notes = append(notes, "env "+s.env)
		}
		if s.def != "" && !s.secret {
			notes = append(notes, "default "+s.def)
		}
		if len(notes) > 0 {
			fmt.Fprintf(w, "\n      %s", strings.Join(notes, ", "))
		}
		fmt.Fprintln(w)
	}
}

// Dump writes the resolved settings and their sources, secrets masked.
func Dump(w io.Writer, res *Result) {
	if len(res.ConfigFiles) > 0 {
		fmt.Fprintf(w, "# Nextcloud configuration read from %s\n", strings.Join(res.ConfigFiles, ", "))
	}
	for _, s := range settings {
		src, ok := res.Sources[s.flag]
		if !ok || s.action {
			continue
		}
		shown := make([]string, len(res.values[s.flag]))
		for i, v := range res.values[s.flag] {
			shown[i] = v
			if s.secret {
				shown[i] = maskSecret(v)
			}
		}
		fmt.Fprintf(w, "%-34s %-40s (%s)\n", s.flag, strings.Join(shown, ","), src)
		if s.flag == "redis-url" && res.Config.RedisCluster {
			fmt.Fprintf(w, "%-34s %-40s (%s)\n", "redis-cluster", "true", res.Sources["redis-cluster"])
		}
	}
}

// maskSecret hides the passwords in a URL, a URL list or a login:password
// list.
func maskSecret(v string) string {
	if !strings.Contains(v, ",") && strings.Contains(v, "://") {
		return MaskURL(v)
	}
	parts := splitList(v)
	for i, p := range parts {
		if strings.Contains(p, "://") {
			parts[i] = MaskURL(p)
		} else {
			parts[i] = maskUser(p)
		}
	}
	return strings.Join(parts, ",")
}

// MaskURL hides the password of a URL (user:***@host); text that does not
// parse as a URL is masked whole.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "***"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	q := u.Query()
	for _, k := range []string{"password", "pass"} {
		if q.Has(k) {
			q.Set(k, "***")
			u.RawQuery = q.Encode()
		}
	}
	return strings.Replace(u.String(), "%2A%2A%2A", "***", -1)
}

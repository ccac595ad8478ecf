package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/notifypush/notify_push/app"
)

// Source says where a value came from.
type Source string

const (
	FromFlag    Source = "flag"
	FromEnv     Source = "environment"
	FromDotEnv  Source = ".env"
	FromDefault Source = "default"
)

// Result is the resolved configuration and the command-line actions asked for.
type Result struct {
	Config app.Config
	// Sources maps each setting's flag name to where its value came from.
	Sources map[string]Source
	// values are the raw texts applied per setting, for Dump.
	values map[string][]string
	// ConfigFile is the positional argument: Nextcloud's config.php.
	ConfigFile string

	Help       bool
	Version    bool
	DumpConfig bool
	Embedded   bool
}

// Lookup reads one environment variable.
type Lookup func(key string) (string, bool)

// Load resolves settings: flags over the environment over dotenv over
// defaults. Every problem found is reported, not just the first.
func Load(args []string, env Lookup, dotenv map[string]string) (*Result, error) {
	res := &Result{Sources: make(map[string]Source), values: make(map[string][]string)}
	fs := flag.NewFlagSet("notify_push", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	given := make(map[string]*flagValue, len(settings))
	for i := range settings {
		s := &settings[i]
		v := &flagValue{s: s}
		given[s.flag] = v
		fs.Var(v, s.flag, s.help)
		if s.short != "" {
			fs.Var(v, s.short, s.help)
		}
	}
	fs.BoolVar(&res.Help, "help", false, "")
	fs.BoolVar(&res.Help, "h", false, "")
	fs.BoolVar(&res.Version, "version", false, "")
	fs.BoolVar(&res.DumpConfig, "dump-config", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w (see --help)", err)
	}
	switch rest := fs.Args(); len(rest) {
	case 0:
	case 1:
		res.ConfigFile = rest[0]
	default:
		return nil, fmt.Errorf("expected at most one argument (the path of config.php), got %d: %s", len(rest), strings.Join(rest, " "))
	}

	var problems []error
	for i := range settings {
		s := &settings[i]
		values, src := resolve(s, given[s.flag], env, dotenv)
		if src == "" {
			continue
		}
		res.Sources[s.flag] = src
		res.values[s.flag] = values
		for _, v := range values {
			if err := s.apply(&res.Config, v); err != nil {
				problems = append(problems, fmt.Errorf("%s: %w", describe(s, src), err))
			}
		}
	}
	res.Embedded = res.Config.Embedded
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return res, nil
}

func resolve(s *setting, fv *flagValue, env Lookup, dotenv map[string]string) ([]string, Source) {
	if len(fv.values) > 0 {
		return fv.values, FromFlag
	}
	if s.env != "" {
		if v, ok := env(s.env); ok {
			return []string{v}, FromEnv
		}
		if v, ok := dotenv[s.env]; ok {
			return []string{v}, FromDotEnv
		}
	}
	if s.def != "" {
		return []string{s.def}, FromDefault
	}
	return nil, ""
}

func describe(s *setting, src Source) string {
	switch src {
	case FromFlag:
		return "--" + s.flag
	case FromEnv, FromDotEnv:
		return s.env + " (" + string(src) + ")"
	default:
		return "default of --" + s.flag
	}
}

// Missing lists what a deployment next to Nextcloud needs but was not given.
func Missing(cfg app.Config) []string {
	var missing []string
	if cfg.DatabaseURL == "" {
		missing = append(missing, "DATABASE_URL (--database-url)")
	}
	if len(cfg.RedisURLs) == 0 {
		missing = append(missing, "REDIS_URL (--redis-url)")
	}
	if cfg.NextcloudURL == "" {
		missing = append(missing, "NEXTCLOUD_URL (--nextcloud-url)")
	}
	return missing
}

// flagValue collects a setting's command-line values.
type flagValue struct {
	s      *setting
	values []string
}

func (v *flagValue) String() string { return "" }

func (v *flagValue) Set(s string) error {
	if v.s.repeat {
		v.values = append(v.values, s)
	} else {
		v.values = []string{s}
	}
	return nil
}

func (v *flagValue) IsBoolFlag() bool { return v.s.bool }

// Usage writes --help: every setting with its flag, environment name and default.
func Usage(w io.Writer) {
	fmt.Fprint(w, `notify_push: push server for Nextcloud's Client Push app

Usage:
  notify_push [flags] [path/to/nextcloud/config/config.php]
  notify_push --embedded        try it without Nextcloud, Redis or a database

Flags override environment variables, which override a .env file in the
working directory.

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
		if s.env != "" {
			fmt.Fprintf(w, "\n      env %s", s.env)
		}
		if s.def != "" && !s.secret {
			fmt.Fprintf(w, ", default %s", s.def)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, `  --dump-config
      print the resolved configuration (secrets masked) and exit
  --version
      print the version and exit
  -h, --help
      print this help and exit
`)
}

// Dump writes the resolved settings and their sources, secrets masked.
func Dump(w io.Writer, res *Result) {
	for _, s := range settings {
		src, ok := res.Sources[s.flag]
		if !ok {
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
	}
}

// maskSecret hides the passwords in a URL list or a login:password list.
func maskSecret(v string) string {
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
		}
	}
	u.RawQuery = q.Encode()
	return strings.Replace(u.String(), "%2A%2A%2A", "***", -1)
}

package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/notifypush/notify_push/app"
)

// Source says where a value came from: a flag, the environment, .env, the
// default, or the config.php files that supplied it, by base name
// ("config.php", "redis.config.php", or several joined by ", ").
type Source string

const (
	FromFlag    Source = "flag"
	FromEnv     Source = "environment"
	FromDotEnv  Source = ".env"
	FromDefault Source = "default"
)

// IsFile reports whether the value came from Nextcloud's config.php files.
func (s Source) IsFile() bool {
	switch s {
	case FromFlag, FromEnv, FromDotEnv, FromDefault, "":
		return false
	}
	return true
}

// Result is the resolved configuration and the command-line actions asked for.
type Result struct {
	Config app.Config
	// Sources maps each setting's flag name to where its value came from;
	// "redis-cluster" is there too when config.php's redis.cluster set
	// Config.RedisCluster.
	Sources map[string]Source
	// values are the raw texts applied per setting, for Dump.
	values map[string][]string
	// ConfigFile is the positional argument: Nextcloud's config.php.
	ConfigFile string
	// ConfigFiles are the files read for it, in order: ConfigFile, then
	// with GlobConfig every *.config.php beside it.
	ConfigFiles []string
	GlobConfig  bool

	Help       bool
	Version    bool
	DumpConfig bool
	Embedded   bool

	// Warnings are values taken as upstream takes them although they
	// probably do not say what was meant, for the log once it is set up.
	Warnings []string
}

// Lookup reads one environment variable.
type Lookup func(key string) (string, bool)

// Options are what Load reads besides the command line. Nil functions
// mean the real ones.
type Options struct {
	// Env is the environment; getenv() in config.php sees it too. Nil
	// means an empty one.
	Env Lookup
	// DotEnv are the variables of the .env file.
	DotEnv map[string]string
	// ReadFile reads the config.php files and the secrets they read
	// with file_get_contents().
	ReadFile func(path string) ([]byte, error)
	// ListDir lists the file names in the config folder, for --glob-config.
	ListDir func(dir string) ([]string, error)
	// Exists reports whether a file exists, to find MySQL's socket.
	Exists func(path string) bool
}

// Load resolves settings: flags over the environment over dotenv over
// Nextcloud's config.php (the one positional argument) over defaults.
// Every problem found is reported, not just the first.
func Load(args []string, env Lookup, dotenv map[string]string) (*Result, error) {
	return LoadWith(args, Options{Env: env, DotEnv: dotenv})
}

// LoadWith is Load reading through opts.
func LoadWith(args []string, opts Options) (*Result, error) {
	if opts.Env == nil {
		opts.Env = func(string) (string, bool) { return "", false }
	}
	if opts.Exists == nil {
		opts.Exists = osExists
	}
	res := &Result{Sources: make(map[string]Source), values: make(map[string][]string)}
	given, err := parseArgs(args, res)
	if err != nil {
		return nil, err
	}
	var problems []error
	// --help and --version need no configuration, nor a valid one.
	for i := range settings {
		if s := &settings[i]; s.action {
			problems = append(problems, res.apply(s, given[s.flag].values, FromFlag)...)
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	if res.Help || res.Version {
		return res, nil
	}

	var layer fileLayer
	if res.ConfigFile != "" {
		glob, err := parseSwitch(last(given["glob-config"].values))
		if err != nil {
			return nil, fmt.Errorf("--glob-config: %w", err)
		}
		layer, res.ConfigFiles, err = readNextcloudConfig(res.ConfigFile, glob, opts)
		problems = appendErr(problems, err)
	}
	if src := pick(settingNamed("redis-url"), given["redis-url"], opts, fileLayer{}); src != "" {
		// config.php's TLS settings belong to its Redis, not to one given
		// here.
		for _, f := range redisTLSFlags {
			delete(layer.values, f)
		}
	}

	for i := range settings {
		s := &settings[i]
		if s.action {
			continue
		}
		src := pick(s, given[s.flag], opts, layer)
		if src == "" {
			continue
		}
		values := given[s.flag].values
		switch {
		case src == FromEnv:
			v, _ := opts.Env(s.env)
			values = []string{v}
		case src == FromDotEnv:
			values = []string{opts.DotEnv[s.env]}
		case src == FromDefault:
			values = []string{s.def}
		case src.IsFile():
			fv := layer.values[s.flag]
			if fv.err != nil {
				problems = append(problems, fv.err)
				continue
			}
			values = fv.values
		}
		problems = append(problems, res.apply(s, values, src)...)
	}
	if src := res.Sources["redis-url"]; src.IsFile() && layer.redisCluster {
		res.Config.RedisCluster = true
		res.Sources["redis-cluster"] = src
	}
	res.Embedded = res.Config.Embedded
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return res, nil
}

// parseArgs reads the command line: each setting's flag values and the
// positional config.php.
func parseArgs(args []string, res *Result) (map[string]*flagValue, error) {
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
	// Flags may also follow the path, as upstream's command line allows;
	// after "--" everything is an argument.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w (see --help)", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	switch len(positional) {
	case 0:
	case 1:
		res.ConfigFile = positional[0]
	default:
		return nil, fmt.Errorf("expected at most one argument (the path of config.php), got %d: %s", len(positional), strings.Join(positional, " "))
	}
	return given, nil
}

// apply records and applies a setting's values.
func (res *Result) apply(s *setting, values []string, src Source) []error {
	if len(values) == 0 {
		return nil
	}
	res.Sources[s.flag] = src
	res.values[s.flag] = values
	fromEnv := src == FromEnv || src == FromDotEnv
	var problems []error
	for _, v := range values {
		if fromEnv && s.presence {
			// Upstream switches this on by the variable being set at all.
			if on, err := parseSwitch(v); err == nil && !on {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s=%s switches %s on: like upstream, this server "+
					"reads the variable being set, whatever its value; unset it to switch %s off", s.env, v, s.env, s.env))
			}
			v = "true"
		}
		if fromEnv && s.lenient {
			if _, err := parseSwitch(v); err != nil {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s=%s is not a boolean: %s is off, as upstream reads "+
					"anything but true as off (want true or false)", s.env, v, s.env))
				v = "false"
			}
		}
		if err := s.apply(res, v); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", describe(s, src), err))
		}
	}
	return problems
}

// pick says where a setting's value comes from, highest priority first:
// flag, environment, .env, config.php, default; "" when nowhere.
func pick(s *setting, fv *flagValue, opts Options, layer fileLayer) Source {
	if len(fv.values) > 0 {
		return FromFlag
	}
	if s.env != "" {
		if _, ok := opts.Env(s.env); ok {
			return FromEnv
		}
		if _, ok := opts.DotEnv[s.env]; ok {
			return FromDotEnv
		}
	}
	if v, ok := layer.values[s.flag]; ok {
		return v.source
	}
	if s.def != "" {
		return FromDefault
	}
	return ""
}

func settingNamed(flag string) *setting {
	for i := range settings {
		if settings[i].flag == flag {
			return &settings[i]
		}
	}
	panic("no setting --" + flag) // a typo in this package, caught by its tests
}

func last(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[len(values)-1]
}

func describe(s *setting, src Source) string {
	switch {
	case src == FromFlag:
		return "--" + s.flag
	case src == FromEnv, src == FromDotEnv:
		return s.env + " (" + string(src) + ")"
	case src.IsFile():
		return "--" + s.flag + " from " + string(src)
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
		missing = append(missing, "REDIS_URL (--redis-url, or redis in config.php)")
	}
	if cfg.NextcloudURL == "" {
		missing = append(missing, "NEXTCLOUD_URL (--nextcloud-url, or overwrite.cli.url in config.php)")
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

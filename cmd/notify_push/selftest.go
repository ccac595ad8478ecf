package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/adapters/config"
	"github.com/notifypush/notify_push/adapters/redis"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/app/wiring"
)

const selfTestUsage = `usage: notify_push self-test [<nextcloud url>] [--user <login> --password <app password>] [--websocket <url>] [--timeout <duration>] [settings] [config.php]

Checks, from the push server's side, what occ notify_push:setup checks: the database and its storage-mapping query,
Redis, Nextcloud at NEXTCLOUD_URL, that Nextcloud shares this Redis, that it trusts this server as a proxy, the
app's version series, the push endpoint Nextcloud announces and a WebSocket handshake through the reverse proxy.
The settings are resolved as the server resolves them (flags, environment, .env, config.php; see notify_push --help).

  <nextcloud url>          Nextcloud's address as clients use it (default: NEXTCLOUD_URL)
  --user, --password       a Nextcloud login and app password: reads the capabilities as that user and logs in
                           through the reverse proxy (without them the endpoint is checked only if announced anonymously)
  --password-file <file>   read the password from a file instead
  --websocket <url>        test this WebSocket URL (wss://host/push/ws) instead of the announced one
  --timeout <duration>     bound of each check, e.g. 5s (default 10s)

Exit status: 0 when every check passes, 1 when one fails, 2 on a usage or configuration error.`

// selfTestArgs are the command's own arguments; the rest go to config.Load.
type selfTestArgs struct {
	publicURL, user, password, passwordFile, websocket string
	timeout                                            time.Duration
	help                                               bool
	rest                                               []string
}

func parseSelfTestArgs(args []string) (selfTestArgs, error) {
	a := selfTestArgs{timeout: app.DefaultDiagnoseTimeout}
	if len(args) > 0 && (strings.HasPrefix(args[0], "http://") || strings.HasPrefix(args[0], "https://")) {
		a.publicURL, args = args[0], args[1:]
	}
	own := map[string]*string{"user": &a.user, "password": &a.password, "password-file": &a.passwordFile, "websocket": &a.websocket}
	var timeout string
	own["timeout"] = &timeout
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			a.rest = append(a.rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "-") {
			a.rest = append(a.rest, arg)
			continue
		}
		if name == "help" || name == "h" {
			a.help = true
			continue
		}
		target, ok := own[name]
		if !ok {
			a.rest = append(a.rest, arg)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return a, fmt.Errorf("--%s needs a value", name)
			}
			i++
			value = args[i]
		}
		*target = value
	}
	if timeout != "" {
		d, err := time.ParseDuration(timeout)
		if err != nil {
			secs, serr := strconv.Atoi(timeout)
			if serr != nil {
				return a, fmt.Errorf("--timeout %q: want a duration such as 10s", timeout)
			}
			d = time.Duration(secs) * time.Second
		}
		if d <= 0 {
			return a, fmt.Errorf("--timeout %q: must be positive", timeout)
		}
		a.timeout = d
	}
	if a.passwordFile != "" {
		if a.password != "" {
			return a, errors.New("give --password or --password-file, not both")
		}
		b, err := os.ReadFile(a.passwordFile)
		if err != nil {
			return a, fmt.Errorf("--password-file: %w", err)
		}
		a.password = strings.TrimRight(string(b), "\r\n")
	}
	if (a.user == "") != (a.password == "") {
		return a, errors.New("--user and --password go together")
	}
	return a, nil
}

// errChecksFailed marks a self-test that ran and found problems (exit 1).
var errChecksFailed = errors.New("self-test")

// selfTest runs the diagnosis and prints one line per check.
func selfTest(ctx context.Context, args []string, env config.Lookup, stdout io.Writer) error {
	a, err := parseSelfTestArgs(args)
	if err != nil {
		return fmt.Errorf("%w: self-test: %w (see notify_push self-test --help)", errUsage, err)
	}
	if a.help {
		fmt.Fprintln(stdout, selfTestUsage)
		return nil
	}
	dotenv, err := config.LoadDotEnv(".env")
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	res, err := config.Load(a.rest, env, dotenv)
	if err != nil {
		return fmt.Errorf("%w:\n%w", errUsage, err)
	}
	cfg := res.Config
	if cfg.Embedded {
		return fmt.Errorf("%w: self-test checks a server next to Nextcloud; the embedded demo has nothing to check", errUsage)
	}
	source := describeSource(res.Sources["nextcloud-url"])
	if cfg.NextcloudURL == "" && a.publicURL != "" {
		cfg.NextcloudURL, source = a.publicURL, ""
	}
	if missing := config.Missing(cfg); len(missing) > 0 {
		return fmt.Errorf("%w: missing %s.\nSet them (flags, environment or .env), or give config.php", errUsage, strings.Join(missing, ", "))
	}
	redisShown := make([]string, len(cfg.RedisURLs))
	for i, u := range cfg.RedisURLs {
		redisShown[i] = config.MaskURL(u)
	}
	opts := app.DiagnoseOptions{
		NextcloudURL:       cfg.NextcloudURL,
		NextcloudURLSource: source,
		PublicURL:          a.publicURL,
		Login:              a.user,
		Password:           a.password,
		WebSocketURL:       a.websocket,
		DatabaseShown:      config.MaskURL(cfg.DatabaseURL),
		RedisShown:         strings.Join(redisShown, ", "),
		FollowAppVersion:   cfg.FollowAppVersion,
		Timeout:            a.timeout,
	}
	// The checks report every problem themselves; library logs would only
	// repeat them out of order.
	quiet := slog.New(slog.DiscardHandler)
	goredis.SetLogger(redis.NewLibraryLog(quiet))
	diagnosis, cleanup, err := wiring.InitializeDiagnosis(ctx, cfg, opts, quiet)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	defer cleanup()
	total := 0
	failed := diagnosis.Run(ctx, func(f app.Finding) {
		total++
		printFinding(stdout, f)
	})
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d checks failed", errChecksFailed, failed, total)
	}
	fmt.Fprintf(stdout, "self-test: every check passed\n")
	return nil
}

func printFinding(w io.Writer, f app.Finding) {
	mark := map[app.Outcome]string{app.Passed: "✓", app.Failed: "✗", app.Skipped: "-"}[f.Outcome]
	fmt.Fprintf(w, "%s %s: %s\n", mark, f.Check, f.Summary)
	if f.Meaning != "" {
		fmt.Fprintf(w, "    means: %s\n", f.Meaning)
	}
	if f.Fix != "" {
		fmt.Fprintf(w, "    fix:   %s\n", f.Fix)
	}
	for _, n := range f.Notes {
		fmt.Fprintf(w, "    note:  %s\n", n)
	}
}

func describeSource(src config.Source) string {
	switch {
	case src == config.FromFlag:
		return "--nextcloud-url"
	case src == config.FromEnv:
		return "NEXTCLOUD_URL"
	case src == config.FromDotEnv:
		return "NEXTCLOUD_URL in .env"
	case src.IsFile():
		return "overwrite.cli.url in " + string(src)
	}
	return ""
}

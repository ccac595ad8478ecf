// Command notify_push is the push server for Nextcloud's Client Push app. It
// resolves its configuration (adapters/config: flags, environment, .env and
// config.php, read by adapters/config/php), picks the deployment shape
// (app/wiring: InitializeProduction next to Nextcloud, InitializeEmbedded for
// the self-contained demo of adapters/demo), runs until SIGINT/SIGTERM and
// exits 0 after a clean shutdown, 1 when the server fails and 2 on a
// configuration error. What happens where once it runs (an event arrives, a
// client logs in) is the table in app/doc.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/adapters/config"
	"github.com/notifypush/notify_push/adapters/demo"
	"github.com/notifypush/notify_push/adapters/redis"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/app/wiring"
	"github.com/notifypush/notify_push/domain"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage marks configuration errors (exit code 2).
var errUsage = errors.New("configuration")

func run(ctx context.Context, args []string, env config.Lookup, stdout, stderr io.Writer) int {
	err := serve(ctx, args, env, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "notify_push: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "notify_push: %v\n", err)
		return 1
	}
}

func serve(ctx context.Context, args []string, env config.Lookup, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "send" {
		return send(ctx, args[1:], env, stdout)
	}
	if len(args) > 0 && args[0] == "self-test" {
		return selfTest(ctx, args[1:], env, stdout)
	}
	dotenv, err := config.LoadDotEnv(".env")
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	res, err := config.Load(args, env, dotenv)
	if err != nil {
		return fmt.Errorf("%w:\n%w", errUsage, err)
	}
	switch {
	case res.Help:
		config.Usage(stdout)
		return nil
	case res.Version:
		fmt.Fprintln(stdout, versionLine())
		return nil
	}
	cfg := res.Config
	if cfg.Embedded && res.Sources["bind"] == config.FromDefault {
		cfg.Bind = "127.0.0.1" // the demo and its publish route stay on this machine
	}
	if !cfg.Embedded {
		if missing := config.Missing(cfg); len(missing) > 0 {
			return fmt.Errorf("%w: missing %s.\nSet them (flags, environment or .env), or run `notify_push --embedded` "+
				"to try the server with a built-in demo database, event bus and users", errUsage, strings.Join(missing, ", "))
		}
	}
	if res.DumpConfig {
		config.Dump(stdout, res)
		return nil
	}

	spec, err := app.ParseLogSpec(cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	// Logs go to standard output, as upstream's: the app's setup wizard
	// shows the admin what the server printed there when it fails to start.
	logs := newLogFilter(stdout, cfg, spec)
	log := logs.Logger()
	for _, w := range res.Warnings {
		log.Warn(w)
	}

	if cfg.Embedded {
		return runEmbedded(ctx, cfg, log, logs, stderr)
	}
	return runProduction(ctx, cfg, log, logs)
}

func runEmbedded(ctx context.Context, cfg app.Config, log *slog.Logger, logs *app.LogFilter, stderr io.Writer) error {
	proc, cleanup, err := wiring.InitializeEmbedded(ctx, cfg, log, logs)
	if err != nil {
		return fmt.Errorf("start embedded server: %w", err)
	}
	defer cleanup()
	go func() {
		select {
		case <-proc.HTTP.Ready():
			_ = demo.WriteBanner(stderr, proc.HTTP.Addr().String(), domain.Version, demo.Default(), wiring.EmbeddedLogins(cfg))
		case <-ctx.Done():
		}
	}()
	return proc.Daemon.Run(ctx)
}

func runProduction(ctx context.Context, cfg app.Config, log *slog.Logger, logs *app.LogFilter) error {
	// go-redis logs through a process-wide logger; main owns process state.
	goredis.SetLogger(redis.NewLibraryLog(log.With(domain.TargetKey, domain.TargetRedisLibrary)))
	proc, cleanup, err := wiring.InitializeProduction(ctx, cfg, log, logs)
	if err != nil {
		// Assembling connects to nothing (a dependency that is down is
		// waited for), so what fails here is the configuration: exit 2,
		// which the systemd unit does not restart.
		return fmt.Errorf("%w: start server: %w", errUsage, err)
	}
	defer cleanup()
	return proc.Daemon.Run(ctx)
}

// buildVersion is the release's own version, stamped by `make release`
// (-ldflags -X main.buildVersion=...), which builds with -buildvcs=false so
// that the binary does not depend on the checkout it was built from.
var buildVersion string

func versionLine() string {
	line := "notify_push " + domain.Version
	build := []string{runtime.Version()}
	if buildVersion != "" {
		build = append([]string{"notify_push-go " + buildVersion}, build...)
	} else if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			build = append([]string{"notify_push-go " + v}, build...)
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				build = append(build, "commit "+s.Value[:12])
			}
		}
	}
	return line + " (" + strings.Join(build, ", ") + ")"
}

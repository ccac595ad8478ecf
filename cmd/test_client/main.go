// Command test_client connects to a push server the way a Nextcloud client
// does and prints every message it receives, with a timestamp, until it is
// interrupted. It finds the push server in Nextcloud's capabilities (or
// takes --websocket), logs in, and asks for file ids. Each failure is one
// line saying what went wrong and what to try; the exit status is 0 after
// SIGINT/SIGTERM, 1 when something fails and 2 on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/notifypush/notify_push/adapters/nextcloud/pushclient"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/domain"
)

const usage = `usage: test_client <nextcloud url> <username> <password> [flags]
       test_client <ws url> <username> <password> [flags]
       test_client --websocket <ws url> <username> <password> [flags]

Finds the push server in Nextcloud's capabilities, logs in with the username and password (an app password),
asks for file ids (listen notify_file_id) and prints every message it receives, one line each with a timestamp,
until Ctrl-C.

  --websocket <url>    connect to this WebSocket URL (wss://cloud.example.com/push/ws) instead of the announced one
  --ca-file <file>     trust the CA certificates in this PEM file (a private CA, a self-signed certificate)
  --insecure           accept any TLS certificate (testing only)
  --timeout <duration> bound of the discovery, the handshake and the login (default 10s)

A first argument starting with ws (ws://, wss://) is the WebSocket URL itself, as with upstream's test_client.
LOG filters what is printed, as upstream's: messages and progress are logged at info under the target test_client,
"err: ..." messages at warn; the default is test_client=info,warn. Failures are always printed.`

// defaultLog is upstream's test_client's default log spec.
const defaultLog = "test_client=info,warn"

// logTarget is what LOG names this program by.
const logTarget = "test_client"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// args is the parsed command line.
type args struct {
	nextcloud, user, password string
	websocket, caFile         string
	insecure, help            bool
	timeout                   time.Duration
}

func parseArgs(argv []string) (args, error) {
	var a args
	fs := flag.NewFlagSet("test_client", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.websocket, "websocket", "", "")
	fs.StringVar(&a.caFile, "ca-file", "", "")
	fs.BoolVar(&a.insecure, "insecure", false, "")
	fs.DurationVar(&a.timeout, "timeout", pushclient.DefaultTimeout, "")
	fs.BoolVar(&a.help, "help", false, "")
	fs.BoolVar(&a.help, "h", false, "")
	// Flags may come before, between or after the arguments.
	var positional []string
	for {
		if err := fs.Parse(argv); err != nil {
			return a, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(rest) < len(argv) && argv[len(argv)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		argv = rest[1:]
	}
	if a.help {
		return a, nil
	}
	if a.timeout <= 0 {
		return a, errors.New("--timeout must be positive")
	}
	switch {
	case len(positional) == 3 && strings.HasPrefix(positional[0], "ws") && a.websocket == "":
		// Upstream's test_client takes the WebSocket URL in place of Nextcloud's.
		a.websocket, a.user, a.password = positional[0], positional[1], positional[2]
	case len(positional) == 3:
		a.nextcloud, a.user, a.password = positional[0], positional[1], positional[2]
	case len(positional) == 2 && a.websocket != "":
		a.user, a.password = positional[0], positional[1]
	default:
		return a, fmt.Errorf("expected <nextcloud url> <username> <password>, got %d arguments", len(positional))
	}
	if a.nextcloud != "" && !strings.HasPrefix(a.nextcloud, "http://") && !strings.HasPrefix(a.nextcloud, "https://") {
		return a, fmt.Errorf("Nextcloud URL %q: want http(s)://host[/path]", a.nextcloud)
	}
	return a, nil
}

func run(ctx context.Context, argv []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	fail := func(format string, v ...any) { fmt.Fprintf(stderr, "test_client: "+format+"\n", v...) }
	a, err := parseArgs(argv)
	if err != nil {
		fail("%v (see test_client --help)", err)
		return 2
	}
	if a.help {
		fmt.Fprintln(stdout, usage)
		return 0
	}
	spec := defaultLog
	if v, ok := getenv("LOG"); ok {
		spec = v
	}
	logSpec, err := app.ParseLogSpec(spec)
	if err != nil {
		fail("LOG: %v", err)
		return 2
	}
	level := logSpec.Level(logTarget)
	say := func(format string, v ...any) {
		if level <= slog.LevelInfo {
			fail(format, v...)
		}
	}
	show := func(msg string) {
		want := slog.LevelInfo
		if strings.HasPrefix(msg, "err: ") {
			want = slog.LevelWarn
		}
		if level <= want {
			printMessage(stdout, msg)
		}
	}
	client, err := pushclient.New(pushclient.Options{Insecure: a.insecure, CAFile: a.caFile, Timeout: a.timeout})
	if err != nil {
		fail("%v", err)
		return 2
	}
	defer client.Close()

	wsURL := a.websocket
	if wsURL == "" {
		dctx, cancel := context.WithTimeout(ctx, a.timeout)
		capability, err := client.Discover(dctx, a.nextcloud, a.user, a.password)
		cancel()
		if err != nil {
			fail("%s", explainDiscovery(a, err))
			return 1
		}
		wsURL = capability.WebSocket
		say("Nextcloud announces the push server at %s", wsURL)
	}

	cctx, cancel := context.WithTimeout(ctx, a.timeout)
	conn, err := client.Connect(cctx, wsURL)
	cancel()
	if err != nil {
		fail("%s", explainConnect(a, wsURL, err))
		return 1
	}
	if err := conn.Login(ctx, a.user, a.password); err != nil {
		conn.Abort()
		if ctx.Err() != nil {
			return 0
		}
		fail("%s", explainLogin(err))
		return 1
	}
	show("authenticated")
	if err := conn.Send("listen notify_file_id"); err != nil {
		conn.Abort()
		fail("%v", err)
		return 1
	}
	say("logged in as %s; printing every message (Ctrl-C to stop)", a.user)
	for {
		msg, err := conn.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				closeCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				if err := conn.Close(closeCtx); err != nil {
					fail("%v", err)
				}
				return 0
			}
			conn.Abort()
			fail("%s", explainRead(err))
			return 1
		}
		show(msg)
		if strings.HasPrefix(msg, "err: ") {
			conn.Abort()
			fail("the push server sent an error: %s", strings.TrimPrefix(msg, "err: "))
			return 1
		}
	}
}

func printMessage(w io.Writer, msg string) {
	fmt.Fprintf(w, "%s %s\n", time.Now().Format("2006-01-02 15:04:05.000"), msg)
}

func explainDiscovery(a args, err error) string {
	if errors.Is(err, domain.ErrNoPushCapability) {
		return "Nextcloud at " + a.nextcloud + " announces no push server: the Client Push app (notify_push) is not installed " +
			"or not enabled, or `occ notify_push:setup` was not run (or use --websocket <url>)"
	}
	pe, ok := domain.ProbeFailureOf(err)
	if !ok {
		return err.Error()
	}
	switch {
	case pe.Failure == domain.ProbeStatus && pe.Status == 401:
		return "Nextcloud refused the login of " + a.user + " (401): check the username and the password; " +
			"accounts with two-factor authentication need an app password"
	case pe.Failure == domain.ProbeStatus:
		return "Nextcloud answered " + pe.StatusLine + " for its capabilities (" + pe.URL + "): is " + a.nextcloud +
			" Nextcloud's address, including its folder if it has one?"
	case pe.Failure == domain.ProbeRedirect:
		return a.nextcloud + " redirects to " + pe.Location + ": give the Nextcloud URL it redirects to"
	case pe.Failure == domain.ProbeBadAnswer:
		return pe.Error() + ": is " + a.nextcloud + " Nextcloud's address?"
	}
	return explainTransport(a, "Nextcloud", pe)
}

func explainConnect(a args, wsURL string, err error) string {
	pe, ok := domain.ProbeFailureOf(err)
	if !ok {
		return err.Error()
	}
	refused := "the WebSocket handshake with " + wsURL + " was refused (" + pe.StatusLine + ")"
	switch {
	case pe.Failure == domain.ProbeStatus && (pe.Status == 400 || pe.Status == 426) && strings.Contains(strings.ToLower(pe.Body), "upgrade"):
		return refused + ": a reverse proxy in front of the push server does not forward the Upgrade and Connection headers"
	case pe.Failure == domain.ProbeStatus && pe.Status == 404:
		return refused + ": nothing serves this path; the reverse proxy does not send it to the push server"
	case pe.Failure == domain.ProbeStatus && pe.Status >= 502 && pe.Status <= 504:
		return refused + ": the reverse proxy cannot reach the push server (is notify_push running?)"
	case pe.Failure == domain.ProbeStatus:
		msg := refused + ": something other than the push server answers, or a proxy drops the WebSocket headers"
		if pe.Body != "" {
			msg += " (" + pe.Body + ")"
		}
		return msg
	case pe.Failure == domain.ProbeRedirect:
		return wsURL + " redirects to " + pe.Location + ": WebSocket clients do not follow redirects; connect to the final URL"
	case pe.Failure == domain.ProbeBadAnswer:
		return wsURL + " answered like a web page, not a WebSocket: the reverse proxy does not send this path to the push server"
	}
	return explainTransport(a, "the push server", pe)
}

func explainTransport(a args, what string, pe *domain.ProbeError) string {
	host := pe.URL
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if i := strings.IndexAny(host, "/?"); i >= 0 {
		host = host[:i]
	}
	switch pe.Failure {
	case domain.ProbeUnreachable:
		return "cannot reach " + what + " at " + host + ": " + errText(pe)
	case domain.ProbeTimeout:
		return "no answer from " + what + " at " + host + " within " + a.timeout.String() + " (a firewall dropping packets? more time with --timeout)"
	case domain.ProbeTLSUnknownAuthority:
		return "the TLS certificate of " + host + " is signed by an unknown authority: pass --ca-file <ca.pem> to trust its CA, " +
			"or --insecure to accept any certificate (testing only)"
	case domain.ProbeTLSHostname:
		return "the TLS certificate of " + host + " is not valid for that name: connect with the name it was issued for, " +
			"or pass --insecure (testing only)"
	case domain.ProbeTLS:
		return "TLS with " + host + " failed: " + errText(pe) + " (http:// against https://, or the wrong port?)"
	}
	return pe.Error()
}

func errText(pe *domain.ProbeError) string {
	if pe.Err != nil {
		return pe.Err.Error()
	}
	return "request failed"
}

func explainLogin(err error) string {
	var refusal *domain.PushRefusal
	var closed *domain.PushClosed
	switch {
	case errors.As(err, &refusal) && refusal.Text == domain.ErrInvalidCredentials.Error():
		return "the push server refused the login: err: " + refusal.Text + " (check the username and use an app password)"
	case errors.As(err, &refusal):
		return "the push server refused the login: err: " + refusal.Text
	case errors.As(err, &closed):
		return "the connection was closed during the login: " + closed.Error()
	}
	return err.Error()
}

func explainRead(err error) string {
	var closed *domain.PushClosed
	if errors.As(err, &closed) {
		return "the push server closed the connection: " + closed.Error() + " (a real client reconnects now)"
	}
	return err.Error()
}

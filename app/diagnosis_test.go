package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"

	"github.com/notifypush/notify_push/adapters/memory"
	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/mocks"
	"github.com/notifypush/notify_push/ports"
)

// scenario is a deployment as the diagnosis sees it; the zero value plus
// healthy() is one where every check passes.
type scenario struct {
	mountsErr  error
	status     domain.NextcloudStatus
	statusErr  error
	routes     map[string]func(token, fwd string) (string, error)
	capability domain.PushCapability
	discover   error
	handshake  error
	opts       DiagnoseOptions
	kv         *memory.KeyValue
	flaky      *flakyKV // when set, the diagnosis sees kv through it
}

// flakyKV fails one Get once failNext is set, as a Redis dropping out would.
type flakyKV struct {
	*memory.KeyValue
	failNext bool
}

func (k *flakyKV) Get(ctx context.Context, key string) (string, bool, error) {
	if k.failNext {
		k.failNext = false
		return "", false, errors.New("connection reset by peer")
	}
	return k.KeyValue.Get(ctx, key)
}

func healthy() *scenario {
	s := &scenario{
		status:     domain.NextcloudStatus{Installed: true, Version: "30.0.4", ProductName: "Nextcloud"},
		capability: domain.PushCapability{WebSocket: "wss://cloud.example.com/push/ws"},
		opts: DiagnoseOptions{NextcloudURL: "https://cloud.example.com", Login: "alice", Password: "pw",
			DatabaseShown: "mysql://nc:***@db/nc", RedisShown: "redis://redis:6379"},
		kv: memory.NewKeyValue(),
	}
	s.routes = map[string]func(string, string) (string, error){
		"test/cookie": func(string, string) (string, error) { return "0", nil },
		"test/version": func(string, string) (string, error) {
			_ = s.kv.Set(context.Background(), KeyAppVersion, "1.4.3")
			return "", nil
		},
		"test/remote": func(_, fwd string) (string, error) {
			_ = s.kv.Set(context.Background(), KeyRemote, "10.0.0.5")
			_ = s.kv.Set(context.Background(), KeyForwardedHeader, fwd)
			return fwd, nil
		},
	}
	return s
}

func status(code int, line, body string) error {
	return &domain.ProbeError{Failure: domain.ProbeStatus, URL: "https://cloud.example.com/x", Status: code, StatusLine: line, Body: body}
}

// run diagnoses s and returns the findings by check name.
func (s *scenario) run(t *testing.T) (map[string]Finding, int) {
	t.Helper()
	ctrl := gomock.NewController(t)
	mounts := mocks.NewMockMountStore(ctrl)
	mounts.EXPECT().MountsFor(gomock.Any(), domain.StorageID(1)).Return([]domain.Mount{{User: "alice"}}, s.mountsErr).AnyTimes()
	nc := mocks.NewMockNextcloudInspector(ctrl)
	nc.EXPECT().Status(gomock.Any()).Return(s.status, s.statusErr).AnyTimes()
	nc.EXPECT().AppRoute(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, route, token, fwd string) (string, error) { return s.routes[route](token, fwd) })
	push := mocks.NewMockPushEndpoint(ctrl)
	push.EXPECT().Discover(gomock.Any(), gomock.Any(), s.opts.Login, s.opts.Password).Return(s.capability, s.discover).AnyTimes()
	push.EXPECT().Handshake(gomock.Any(), gomock.Any(), s.opts.Login, s.opts.Password).Return(s.handshake).AnyTimes()
	var kv ports.KeyValue = s.kv
	if s.flaky != nil {
		kv = s.flaky
	}
	d, err := NewDiagnosis(mounts, kv, nc, push, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]Finding{}
	var order []string
	failed := d.Run(context.Background(), func(f Finding) {
		found[f.Check] = f
		order = append(order, f.Check)
	})
	want := []string{"database", "redis", "nextcloud", "test token", "shared redis", "trusted proxy", "version", "push endpoint", "reverse proxy"}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("checks %v, want %v", order, want)
	}
	return found, failed
}

// expect asserts one finding's outcome and that its texts contain each of want.
func expect(t *testing.T, found map[string]Finding, check string, outcome Outcome, want ...string) {
	t.Helper()
	f := found[check]
	if f.Outcome != outcome {
		t.Fatalf("%s: outcome %d (%s), want %d", check, f.Outcome, f.Summary, outcome)
	}
	text := strings.Join(append([]string{f.Summary, f.Meaning, f.Fix}, f.Notes...), "\n")
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", check, w, text)
		}
	}
}

func TestDiagnosisHealthy(t *testing.T) {
	s := healthy()
	found, failed := s.run(t)
	if failed != 0 {
		t.Fatalf("%d failed: %+v", failed, found)
	}
	expect(t, found, "database", Passed, "mysql://nc:***@db/nc", "1 mount")
	expect(t, found, "version", Passed, "1.4.3", domain.Version)
	expect(t, found, "reverse proxy", Passed, "alice logs in")
	// No test-token before: none after.
	if v, _, _ := s.kv.Get(context.Background(), KeyTestToken); v != "" {
		t.Fatalf("test-token left: %q", v)
	}
}

func TestDiagnosisTokenIsTheOneStored(t *testing.T) {
	s := healthy()
	var seen []string
	s.routes["test/cookie"] = func(token, _ string) (string, error) {
		stored, _, _ := s.kv.Get(context.Background(), KeyTestToken)
		seen = append(seen, token)
		if token == "" || token != stored {
			return "", status(403, "403 Forbidden", "")
		}
		return "0", nil
	}
	found, _ := s.run(t)
	expect(t, found, "test token", Passed)
	if len(seen) != 1 || len(seen[0]) != 32 {
		t.Fatalf("tokens sent %q", seen)
	}
}

func TestDiagnosisNextcloudFailures(t *testing.T) {
	tests := []struct {
		name   string
		status domain.NextcloudStatus
		err    error
		want   []string
	}{
		{"maintenance", domain.NextcloudStatus{Installed: true, Maintenance: true}, nil, []string{"maintenance mode", "occ maintenance:mode --off"}},
		{"not installed", domain.NextcloudStatus{}, nil, []string{"not installed"}},
		{"upgrade", domain.NextcloudStatus{Installed: true, NeedsUpgrade: true}, nil, []string{"occ upgrade"}},
		{"not Nextcloud's base", domain.NextcloudStatus{}, status(404, "404 Not Found", ""), []string{"no Nextcloud at", "its folder"}},
		{"self-signed", domain.NextcloudStatus{}, &domain.ProbeError{Failure: domain.ProbeTLSUnknownAuthority,
			URL: "https://cloud.example.com/status.php", Err: errors.New("x509: certificate signed by unknown authority")},
			[]string{"not signed by a certificate authority", "NEXTCLOUD_CA_FILE", "ALLOW_SELF_SIGNED=true"}},
		{"wrong name", domain.NextcloudStatus{}, &domain.ProbeError{Failure: domain.ProbeTLSHostname,
			URL: "https://10.0.0.2/status.php", Err: errors.New("x509: certificate is valid for cloud.example.com")},
			[]string{"not valid for that name", "host name the certificate was issued for"}},
		{"timeout", domain.NextcloudStatus{}, &domain.ProbeError{Failure: domain.ProbeTimeout, URL: "https://cloud.example.com/status.php"},
			[]string{"no answer from cloud.example.com in time", "--timeout"}},
		{"redirect", domain.NextcloudStatus{}, &domain.ProbeError{Failure: domain.ProbeRedirect, URL: "http://cloud.example.com/status.php",
			Status: 301, Location: "https://cloud.example.com/status.php"}, []string{"set NEXTCLOUD_URL to https://cloud.example.com/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := healthy()
			s.status, s.statusErr = tt.status, tt.err
			found, failed := s.run(t)
			expect(t, found, "nextcloud", Failed, tt.want...)
			for _, c := range []string{"test token", "shared redis", "trusted proxy", "version"} {
				expect(t, found, c, Skipped)
			}
			if failed != 1 {
				t.Fatalf("%d failed", failed)
			}
		})
	}
}

func TestDiagnosisAppRouteFailures(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"app disabled", status(404, "404 Not Found", ""), []string{"not installed or not enabled", "occ app:enable notify_push"}},
		{"untrusted domain", status(400, "400 Bad Request", "Access through untrusted domain"), []string{"trusted_domains"}},
		{"server error", status(500, "500 Internal Server Error", ""), []string{"nextcloud.log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := healthy()
			for route := range s.routes {
				s.routes[route] = func(string, string) (string, error) { return "", tt.err }
			}
			found, failed := s.run(t)
			for _, c := range []string{"test token", "shared redis", "trusted proxy"} {
				expect(t, found, c, Failed, tt.want...)
			}
			expect(t, found, "version", Skipped)
			if failed != 3 {
				t.Fatalf("%d failed", failed)
			}
		})
	}
}

func TestDiagnosisRedisAndProxyChain(t *testing.T) {
	// The app writes into another Redis: the marker stays, and is removed.
	s := healthy()
	s.routes["test/version"] = func(string, string) (string, error) { return "", nil }
	found, _ := s.run(t)
	expect(t, found, "shared redis", Failed, "not into redis://redis:6379", "database index")
	expect(t, found, "version", Skipped)
	if v, _, _ := s.kv.Get(context.Background(), KeyAppVersion); v != "" {
		t.Fatalf("marker left in %s: %q", KeyAppVersion, v)
	}

	// Redis drops out just as the marker is read back: the marker is removed.
	s = healthy()
	s.flaky = &flakyKV{KeyValue: s.kv}
	s.routes["test/version"] = func(string, string) (string, error) { s.flaky.failNext = true; return "", nil }
	found, _ = s.run(t)
	expect(t, found, "shared redis", Failed, "Redis stopped answering")
	if v, _, _ := s.kv.Get(context.Background(), KeyAppVersion); strings.HasPrefix(v, "self-test-") {
		t.Fatalf("marker left in %s after a failed read: %q", KeyAppVersion, v)
	}

	// A proxy between this server and Nextcloud drops X-Forwarded-For.
	s = healthy()
	s.routes["test/remote"] = func(string, string) (string, error) {
		_ = s.kv.Set(context.Background(), KeyRemote, "10.0.0.9")
		return "10.0.0.9", nil
	}
	found, _ = s.run(t)
	expect(t, found, "trusted proxy", Failed, `"10.0.0.9"`, "--value=10.0.0.9", "received no X-Forwarded-For header from 10.0.0.9")

	// Version of another series.
	s = healthy()
	s.routes["test/version"] = func(string, string) (string, error) {
		_ = s.kv.Set(context.Background(), KeyAppVersion, "1.5.1")
		return "", nil
	}
	found, _ = s.run(t)
	expect(t, found, "version", Failed, "1.5.1", "1.4.x", "NOTIFY_PUSH_FOLLOW_APP_VERSION=true")

	// Following the app's version: another supported series passes, a
	// series outside the range fails naming it.
	for app, outcome := range map[string]Outcome{"1.5.1": Passed, "2.0.0": Failed} {
		s = healthy()
		s.opts.FollowAppVersion = true
		s.routes["test/version"] = func(string, string) (string, error) {
			_ = s.kv.Set(context.Background(), KeyAppVersion, app)
			return "", nil
		}
		found, _ = s.run(t)
		want := []string{app, ">= 0.6 and < 2.0"}
		expect(t, found, "version", outcome, want...)
	}
}

func TestDiagnosisEndpointFailures(t *testing.T) {
	tests := []struct {
		name      string
		discover  error
		handshake error
		check     string
		want      []string
	}{
		{"login refused by Nextcloud", status(401, "401 Unauthorized", ""), nil, "push endpoint", []string{"app password"}},
		{"no capability", domain.ErrNoPushCapability, nil, "push endpoint", []string{"occ app:enable notify_push", "occ notify_push:setup https://cloud.example.com/push"}},
		{"upgrade dropped", nil, status(400, "400 Bad Request", `expected a WebSocket upgrade: missing header "Upgrade: websocket"`),
			"reverse proxy", []string{"does not forward them", "deployment.md#reverse-proxy"}},
		{"no route", nil, status(404, "404 Not Found", ""), "reverse proxy", []string{"(404)", "route /push/"}},
		{"push server down", nil, status(502, "502 Bad Gateway", ""), "reverse proxy", []string{"cannot reach the push server", "systemctl status notify_push"}},
		{"web page", nil, &domain.ProbeError{Failure: domain.ProbeBadAnswer, URL: "wss://cloud.example.com/push/ws", Err: errors.New("bad handshake")},
			"reverse proxy", []string{"a web page answered"}},
		{"redirect", nil, &domain.ProbeError{Failure: domain.ProbeRedirect, URL: "ws://cloud.example.com/push/ws", Status: 301,
			Location: "https://cloud.example.com/push/ws"}, "reverse proxy", []string{"do not follow redirects"}},
		{"wrong password at the push server", nil, &domain.PushRefusal{Text: "Invalid credentials"}, "reverse proxy",
			[]string{"refused the login of alice", "NEXTCLOUD_URL"}},
		{"push server cannot reach Nextcloud", nil,
			&domain.PushRefusal{Text: "Error while sending authentication request to nextcloud: Server error: 502 Bad Gateway"},
			"reverse proxy", []string{"cannot check logins", "restart"}},
		{"closed during login", nil, &domain.PushClosed{Code: 1006}, "reverse proxy", []string{"closed during the login", "timeouts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := healthy()
			s.discover, s.handshake = tt.discover, tt.handshake
			found, failed := s.run(t)
			expect(t, found, tt.check, Failed, tt.want...)
			if failed != 1 {
				t.Fatalf("%d failed", failed)
			}
		})
	}
}

func TestDiagnosisNotes(t *testing.T) {
	s := healthy()
	s.opts.PublicURL = "https://cloud.example.com"
	s.opts.NextcloudURL, s.opts.NextcloudURLSource = "http://127.0.0.1:8080", "overwrite.cli.url in config.php"
	s.capability.WebSocket = "ws://localhost:7867/ws"
	found, failed := s.run(t)
	if failed != 0 {
		t.Fatalf("%d failed", failed)
	}
	expect(t, found, "nextcloud", Passed, "from overwrite.cli.url in config.php", "clients use https://cloud.example.com", "trusted_domains")
	expect(t, found, "push endpoint", Passed, "ws:// while Nextcloud is https://", "clients on other machines cannot reach it")

	// Without a login the endpoint is not announced: skipped, not failed.
	s = healthy()
	s.opts.Login, s.opts.Password = "", ""
	s.discover = domain.ErrNoPushCapability
	found, failed = s.run(t)
	expect(t, found, "push endpoint", Skipped, "--user")
	expect(t, found, "reverse proxy", Skipped)
	if failed != 0 {
		t.Fatalf("%d failed", failed)
	}

	// --websocket skips discovery but tests the handshake.
	s = healthy()
	s.opts.WebSocketURL = "wss://push.example.com/ws"
	s.discover = errors.New("must not be asked")
	found, _ = s.run(t)
	expect(t, found, "push endpoint", Skipped, "--websocket wss://push.example.com/ws")
	expect(t, found, "reverse proxy", Passed, "wss://push.example.com/ws")
}

func TestDiagnosisDatabase(t *testing.T) {
	s := healthy()
	s.mountsErr = errors.New(`load mounts of storage 1: ERROR: relation "nc_mounts" does not exist (SQLSTATE 42P01)`)
	found, _ := s.run(t)
	expect(t, found, "database", Failed, "DATABASE_PREFIX", "dbtableprefix")
	s = healthy()
	s.mountsErr = errors.New("connect to database mysql://nc:***@db/nc: dial tcp: connection refused")
	found, _ = s.run(t)
	expect(t, found, "database", Failed, "connection refused", "DATABASE_URL")
}

func TestNewDiagnosisValidates(t *testing.T) {
	ctrl := gomock.NewController(t)
	kv := memory.NewKeyValue()
	mounts, nc, push := mocks.NewMockMountStore(ctrl), mocks.NewMockNextcloudInspector(ctrl), mocks.NewMockPushEndpoint(ctrl)
	if _, err := NewDiagnosis(nil, kv, nc, push, DiagnoseOptions{NextcloudURL: "https://x"}); err == nil {
		t.Error("nil mount store accepted")
	}
	if _, err := NewDiagnosis(mounts, kv, nc, push, DiagnoseOptions{}); err == nil {
		t.Error("no Nextcloud URL accepted")
	}
}

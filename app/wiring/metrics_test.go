package wiring

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/internal/testenv/wstest"
)

// Connections and failures show up labelled by client kind and reason, as
// admins read them from /metrics.
func TestMetricsByClientKindAndFailureReason(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "metrics.sock") // about 80 bytes: within a socket path's 108
	addr := embeddedServer(t, func(c *app.Config) { c.MetricsSocketPath = sock })

	agents := []string{
		"Mozilla/5.0 (Linux) mirall/3.14.1 (build 20241001) (Nextcloud, debian-12 ClientArchitecture: x86_64 OsArchitecture: x86_64)",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		"Mozilla/5.0 (Android) Nextcloud-android/3.30.3",
		"Mozilla/5.0 (iOS) Nextcloud-iOS/6.1.0",
	}
	for _, ua := range agents {
		wstest.DialWith(t, nil, "ws://"+addr+"/ws", http.Header{"User-Agent": {ua}}).Login("bob", "bob-pw")
	}
	bad := dial(t, addr, "/ws")
	bad.SendCredentials("bob", "wrong")
	bad.Expect("err: Invalid credentials")
	publish(t, addr, "notify_activity", `{"user":"bob"}`)

	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	want := []string{
		`client_connection_count{client="desktop"} 1`,
		`client_connection_count{client="web"} 2`,
		`client_connection_count{client="android"} 1`,
		`client_connection_count{client="ios"} 1`,
		`client_connection_count{client="other"} 0`,
		`client_message_count_total{client="web"} 2`,
		`auth_failure_count_total{reason="invalid_credentials"} 1`,
		`event_by_channel_count_total{channel="notify_activity"} 1`,
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := client.Get("http://metrics/metrics")
		if err != nil { // the metrics listener may bind after the main one
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing := ""
		for _, w := range want {
			if !strings.Contains(string(body), "\n"+w+"\n") {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %s:\n%s", missing, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

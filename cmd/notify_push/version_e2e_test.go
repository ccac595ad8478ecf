package main

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// appSelfTestPasses is the app's version check (lib/SelfTest.php): both
// versions cut at their last dot, substr($v, 0, strrpos($v, '.')), must be
// equal.
func appSelfTestPasses(app, binary string) bool {
	cut := func(v string) string {
		if i := strings.LastIndex(v, "."); i >= 0 {
			return v[:i]
		}
		return ""
	}
	return cut(app) == cut(binary)
}

// appSelfTest runs the app's version step as occ notify_push:self-test does:
// delete notify_push_version, POST /test/version, read the key back.
func appSelfTest(t *testing.T, w *world, d *daemon) string {
	t.Helper()
	ctx := context.Background()
	w.rdb.Del(ctx, "notify_push_version")
	if code, body := d.selfTest("POST", "/test/version", "tok-v"); code != http.StatusOK || body != "set" {
		t.Fatalf("POST /test/version: %d %q", code, body)
	}
	v, err := w.rdb.Get(ctx, "notify_push_version").Result()
	if err != nil {
		t.Fatalf("notify_push_version: %v", err)
	}
	return v
}

// versionWorld is a world whose app version the test changes, as an app
// update would.
func versionWorld(t *testing.T, initial string) (*world, *atomic.Value) {
	t.Helper()
	w := newWorld(t)
	var app atomic.Value
	app.Store(initial)
	w.nc.OnVersion(func() { w.rdb.Set(context.Background(), "notify_push_app_version", app.Load().(string), 0) })
	w.rdb.Set(context.Background(), "test-token", "tok-v", 0)
	return w, &app
}

func TestBinaryFollowsTheAppVersion(t *testing.T) {
	t.Parallel()
	w, app := versionWorld(t, "1.4.2")
	d := startDaemon(t, w.env...)
	w.waitSubscribed(t)
	waitUntil(t, 10*time.Second, "the startup check", func() bool { return strings.Contains(d.logs.String(), "startup self-check passed") })

	for _, tt := range []struct {
		app    string
		passes bool
	}{
		{"1.4.2", true},
		{"1.4.7", true},
		{"1.5.2", true}, // the app was updated: no restart needed
		{"1.9.0", true},
		{"1.6.0-dev.0", true},
		{"2.0.0", false}, // outside the series this server implements
		{"1.5.3", true},
	} {
		app.Store(tt.app)
		reported := appSelfTest(t, w, d)
		if got := appSelfTestPasses(tt.app, reported); got != tt.passes {
			t.Errorf("app %s: the server reports %s; the app's check passes = %v, want %v", tt.app, reported, got, tt.passes)
		}
		if !tt.passes && reported != "1.4.0" {
			t.Errorf("app %s: reported %s, want the server's own 1.4.0", tt.app, reported)
		}
	}
	logs := d.logs.String()
	if !strings.Contains(logs, "2.0.0") || !strings.Contains(logs, ">= 0.6 and < 2.0") {
		t.Errorf("no warning naming the supported range for app 2.0.0:\n%s", logs)
	}
	if strings.Count(logs, "level=WARN") != 1 {
		t.Errorf("want exactly one warning (for 2.0.0):\n%s", logs)
	}
}

func TestBinaryReportsItsOwnVersionWhenTold(t *testing.T) {
	t.Parallel()
	w, app := versionWorld(t, "1.5.2")
	d := startDaemon(t, append(w.env, "NOTIFY_PUSH_FOLLOW_APP_VERSION=false")...)
	w.waitSubscribed(t)
	waitUntil(t, 10*time.Second, "the startup check's warning", func() bool {
		return strings.Contains(d.logs.String(), "following the app's version is turned off")
	})
	if v := appSelfTest(t, w, d); v != "1.4.0" || appSelfTestPasses("1.5.2", v) {
		t.Errorf("app 1.5.2, not following: reported %s", v)
	}
	app.Store("1.4.9")
	if v := appSelfTest(t, w, d); v != "1.4.0" || !appSelfTestPasses("1.4.9", v) {
		t.Errorf("app 1.4.9, not following: reported %s", v)
	}
	out, err := runVersion(t)
	if err != nil || !strings.HasPrefix(out, "notify_push 1.4.0") {
		t.Errorf("--version: %q %v", out, err)
	}
}

// runVersion runs --version, which prints the server's own version
// whatever the app's.
func runVersion(t *testing.T) (string, error) {
	t.Helper()
	out, err := binaryCommand(t, "--version").Output()
	return string(out), err
}

package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/mocks"
)

func TestAppVersionFollowsTheApp(t *testing.T) {
	f := newFixture(t, HubOptions{})
	probe := mocks.NewMockNextcloudProbe(f.ctrl)
	var logs bytes.Buffer
	v := NewAppVersion(VersionOptions{Follow: true}, f.kv, probe, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()

	if r := v.Report(); r.Version != domain.Version || r.Following {
		t.Fatalf("before the app is known: %+v", r)
	}
	refresh := func(app string) {
		t.Helper()
		probe.EXPECT().TestVersion(gomock.Any()).Return(nil)
		f.kv.EXPECT().Get(gomock.Any(), KeyAppVersion).Return(app, true, nil)
		if err := v.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The app is updated 1.4 → 1.5 → 1.9: each is followed, nothing warned.
	for _, app := range []string{"1.4.2", "1.5.0", "1.9.3"} {
		refresh(app)
		if r := v.Report(); r.Version != app || !r.Following {
			t.Fatalf("app %s: %+v", app, r)
		}
	}
	if strings.Contains(logs.String(), "WARN") {
		t.Fatalf("warnings while following:\n%s", logs.String())
	}
	// 2.0 is outside: our own version, one warning naming the range, however
	// often it is read.
	refresh("2.0.0")
	refresh("2.0.0")
	if r := v.Report(); r.Version != domain.Version || r.Following {
		t.Fatalf("app 2.0.0: %+v", r)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), ">= 0.6 and < 2.0") {
		t.Fatalf("%d warnings for 2.0.0:\n%s", n, logs.String())
	}
	// Nextcloud down: the error says so, the last version is kept.
	probe.EXPECT().TestVersion(gomock.Any()).Return(errors.New("connection refused"))
	if err := v.Refresh(ctx); err == nil || !strings.Contains(err.Error(), "nextcloud: connection refused") {
		t.Fatalf("refresh with Nextcloud down: %v", err)
	}
	if v.AppVersion() != "2.0.0" {
		t.Fatalf("app version forgotten: %q", v.AppVersion())
	}
}

func TestAppVersionOwnVersionWhenNotFollowing(t *testing.T) {
	f := newFixture(t, HubOptions{})
	probe := mocks.NewMockNextcloudProbe(f.ctrl)
	var logs bytes.Buffer
	v := NewAppVersion(VersionOptions{Follow: false}, f.kv, probe, slog.New(slog.NewTextHandler(&logs, nil)))
	for app, warns := range map[string]bool{"1.4.7": false, "1.5.2": true} {
		logs.Reset()
		probe.EXPECT().TestVersion(gomock.Any()).Return(nil)
		f.kv.EXPECT().Get(gomock.Any(), KeyAppVersion).Return(app, true, nil)
		f.kv.EXPECT().Set(gomock.Any(), KeyVersion, domain.Version).Return(nil)
		if err := v.Publish(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(logs.String(), "turned off"); got != warns {
			t.Errorf("app %s: warned %v, want %v:\n%s", app, got, warns, logs.String())
		}
	}
}

// The nextcloud dependency's probe is Answered: its first probes and its
// rechecks are what follow the app's version, retrying failures.
func TestAppVersionFollowedByTheNextcloudDependency(t *testing.T) {
	f := newFixture(t, HubOptions{})
	probe := mocks.NewMockNextcloudProbe(f.ctrl)
	v := NewAppVersion(VersionOptions{Follow: true}, f.kv, probe, discard())
	refreshed := make(chan struct{})
	gomock.InOrder(
		probe.EXPECT().TestVersion(gomock.Any()).Return(errors.New("maintenance mode")).Times(2),
		probe.EXPECT().TestVersion(gomock.Any()).Return(nil),
	)
	f.kv.EXPECT().Get(gomock.Any(), KeyAppVersion).DoAndReturn(func(context.Context, string) (string, bool, error) {
		close(refreshed)
		return "1.5.1", true, nil
	})
	probe.EXPECT().TestVersion(gomock.Any()).Return(errors.New("down")).AnyTimes()
	deps, err := NewDependencies([]Dependency{{Name: "nextcloud", Probe: v.Answered, Recheck: 5 * time.Millisecond}},
		fastDependencies, realTime, discard())
	if err != nil {
		t.Fatal(err)
	}
	watch(t, deps)
	select {
	case <-refreshed:
	case <-time.After(5 * time.Second):
		t.Fatal("no successful refresh after two failures")
	}
	waitUntil(t, "the version read", func() bool { return v.AppVersion() == "1.5.1" })
	if v.Report().Version != "1.5.1" {
		t.Fatalf("report %+v", v.Report())
	}
}

// At startup, Nextcloud answering the app's route with an error status is
// Nextcloud being there (with a warning); not answering at all is not.
func TestAppVersionAnsweredAtStartup(t *testing.T) {
	f := newFixture(t, HubOptions{})
	probe := mocks.NewMockNextcloudProbe(f.ctrl)
	var logs bytes.Buffer
	v := NewAppVersion(VersionOptions{Follow: true}, f.kv, probe, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()

	probe.EXPECT().TestVersion(gomock.Any()).Return(&domain.ProbeError{Failure: domain.ProbeStatus, URL: "test/version",
		Status: 404, StatusLine: "404 Not Found"})
	if err := v.Answered(ctx); err != nil {
		t.Fatalf("a 404 from test/version: %v, want Nextcloud counted as there", err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "404 Not Found") {
		t.Fatalf("no warning naming the answer:\n%s", logs.String())
	}

	probe.EXPECT().TestVersion(gomock.Any()).Return(&domain.ProbeError{Failure: domain.ProbeUnreachable, URL: "test/version",
		Err: errors.New("connection refused")})
	if err := v.Answered(ctx); err == nil {
		t.Fatal("an unreachable Nextcloud counted as there")
	}
}

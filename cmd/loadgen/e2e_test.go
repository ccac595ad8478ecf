package main

import (
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/report"
	"github.com/notifypush/notify_push/internal/load/run"
)

// TestLoadgenEndToEnd runs the real tool, small and short, against the real
// notify_push binary: every phase must measure, nothing may be lost, and the
// servers must have pinged at the interval loadgen set.
func TestLoadgenEndToEnd(t *testing.T) {
	var r struct {
		run.Report
		Targets []report.Target `json:"targets"`
	}
	stdout, stderr := runLoadgen(t, 3*time.Minute, &r,
		"--conns", "50", "--baseline", "5", "--storm", "20", "--fanout-users", "30", "--fanout-rounds", "3",
		"--ping-interval", "1s", "--idle", "2s", "--rate", "500", "--duration", "1s",
		"--drain-rate", "500", "--drain-duration", "1s", "--drain-storages", "40", "--settle", "5s",
		"--per-worker", "30", "--per-source", "10")
	if !strings.Contains(stdout, "Targets") || !strings.Contains(stdout, "RSS per connection") {
		t.Errorf("no report on stdout:\n%s", stdout)
	}
	if len(r.Problems) > 0 {
		t.Errorf("problems: %v", r.Problems)
	}
	if r.Env.Workers != 2 {
		t.Errorf("%d workers for 50 connections at 30 per worker", r.Env.Workers)
	}
	if r.Ref == nil {
		t.Fatal("no reference measured")
	}
	for _, m := range []run.Measured{r.Server, *r.Ref} {
		if m.Baseline.Conns != 5 || m.Loaded.Conns != 50 || m.Loaded.Memory.RSS <= m.Baseline.Memory.RSS/2 ||
			m.Loaded.Runtime.Goroutines <= 0 {
			t.Errorf("%s: baseline %+v, loaded %+v", m.Name, m.Baseline, m.Loaded)
		}
		// --ping-interval 1s reached the server: at least two pings each in the idle window.
		if m.PingsPerConn < 2 || m.IdleDropped != 0 || m.IdleSeconds < 2 {
			t.Errorf("%s: %.1f pings per connection, %d dropped over %.1f s", m.Name, m.PingsPerConn, m.IdleDropped, m.IdleSeconds)
		}
		for _, c := range []run.Connect{m.Storm1, m.Storm2, m.TopUp} {
			if c.OK != c.Requested || c.Failed != 0 {
				t.Errorf("%s: connect %+v", m.Name, c)
			}
		}
		if m.Storm1.Requested != 20 || m.TopUp.Requested != 25 {
			t.Errorf("%s: storms of %d, top-up %d", m.Name, m.Storm1.Requested, m.TopUp.Requested)
		}
	}
	// The reference parks a goroutine per connection; notify_push does not.
	if r.Ref.Loaded.Runtime.Goroutines < 50 {
		t.Errorf("reference: %d goroutines for 50 connections", r.Ref.Loaded.Runtime.Goroutines)
	}
	if r.Server.Loaded.MetricsConns != 50 || r.Server.Loaded.MetricsGoroutines <= 0 || r.Server.Loaded.MetricsRSS <= 0 {
		t.Errorf("/metrics at N: %+v", r.Server.Loaded)
	}
	if f := r.Fanout; f.Users != 30 || f.Rounds != 3 || f.Expected != 90 || f.Received != 90 || f.WarmReceived != 30 ||
		f.Latency.Count != 90 {
		t.Errorf("fan-out: %+v", f)
	}
	if th := r.Through; th.Published != 500 || th.Accepted != 500 || th.Lost != 0 || th.Received.Deliveries() != 500 ||
		th.Latency.Count != th.Expected[events.KindCustom] {
		t.Errorf("throughput: %+v", th)
	}
	if d := r.Drain; d.Published != 500 || !d.Counted || d.Lost != 0 || d.Received != 500 || d.Disconnects != 0 || d.Resubscribe {
		t.Errorf("drain: %+v", d)
	}
	if r.CredentialChecks != 5+20+25 {
		t.Errorf("the fake Nextcloud confirmed %d logins, want the 50 Basic-checked ones", r.CredentialChecks)
	}
	if len(r.Targets) < 9 {
		t.Errorf("targets: %+v", r.Targets)
	}
	if !strings.Contains(stderr, "idle for") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
}

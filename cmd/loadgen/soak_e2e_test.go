package main

import (
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/report"
	"github.com/notifypush/notify_push/internal/load/soak"
)

// TestSoakEndToEnd runs "loadgen soak" small and short against the real
// notify_push binary, with one Redis kill, one freeze and one database
// outage: it must pass its own --strict checks (no delivery lost, no change
// unnoticed, no growth, every connection counted off), and the report must
// show that each part of the soak happened, the resyncs included.
func TestSoakEndToEnd(t *testing.T) {
	var r struct {
		soak.Report
		Checks []report.Target `json:"checks"`
	}
	stdout, stderr := runLoadgen(t, 2*time.Minute, &r, "soak",
		"--conns", "50", "--users", "40", "--shared-users", "20", "--churn", "0.4", "--hold-min", "1s", "--hold-max", "2s",
		"--warmup", "1s", "--duration", "12s", "--restarts", "1", "--down", "1s", "--hang", "1s", "--rate", "150",
		"--db-down", "1s", "--db-cold-users", "10", "--resync-spread", "1s",
		"--window", "1500ms", "--shared-every", "3s", "--sample-every", "2s", "--end-settle", "500ms", "--ping-interval", "1s",
		"--per-worker", "30", "--per-source", "20", "--strict")
	for _, want := range []string{"Checks", "Deliveries that had to arrive", "Changes noticed", "Excused pairs", "Outages and their resyncs",
		"Server over time"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report without %q:\n%s", want, stdout)
		}
	}
	for _, c := range r.Checks {
		if c.Result == "FAIL" {
			t.Errorf("check failed: %+v", c)
		}
	}
	m := r.Main
	a := m.Account
	if r.Env.Workers != 2 || r.Warmup == nil || r.Warmup.Events < 40 || r.Warmup.Sessions < 50 {
		t.Fatalf("%d workers, warm-up %+v", r.Env.Workers, r.Warmup)
	}
	// Every kind of delivery was required somewhere and all arrived (file
	// ids perhaps merged into a resync's notify_file).
	for _, k := range soak.DeliveryKinds {
		if d := a.Deliveries[k]; d == nil || d.Expected == 0 || d.Received == 0 || d.Received+d.Merged != d.Expected {
			t.Errorf("%s: %+v", k, d)
		}
	}
	// The kill shows in the fates: refused while down, or passed to nobody
	// before the server subscribed again.
	lostToOutage := 0
	for _, f := range a.Fates {
		lostToOutage += f[soak.FateRefused.String()] + f[soak.FateNobody.String()]
	}
	if lostToOutage == 0 || len(m.Chaos) != 3 || m.Chaos[0].What != "SIGSTOP, then SIGCONT" || !m.Chaos[1].Database ||
		!strings.HasPrefix(m.Chaos[2].What, "kill -9") {
		t.Fatalf("outages %+v, %d events not delivered by Redis", m.Chaos, lostToOutage)
	}
	for _, c := range m.Chaos {
		if c.Back < 0 || c.Back > 3 {
			t.Errorf("events did not reach the server soon after %q: %+v", c.What, c)
		}
	}
	// The kill cost events and was resynced, as the server counted and the
	// clients saw; so was the database outage, for the cold homes' users.
	kill, db := m.Chaos[2], m.Chaos[1]
	if kill.ServerResyncs["redis"] < 1 || kill.ServerClients["redis"] < 1 || kill.Seen.FrameCount() == 0 || kill.Seen.Sessions == 0 {
		t.Errorf("no resync after the kill: %+v", kill)
	}
	if db.ServerResyncs["database"] < 1 || db.ServerClients["database"] < 1 || db.Seen.Frames["notify_file"] == 0 {
		t.Errorf("no resync after the database outage: %+v", db)
	}
	if n := a.Noticed["home, database out"]; n == nil || n.Pairs == 0 || n.ByResync == 0 || n.Unnoticed != 0 {
		t.Errorf("home updates while the database was out: %+v", n)
	}
	if a.NoticedTotal.Pairs == 0 || a.NoticedTotal.Unnoticed != 0 || a.NoticedTotal.ByResync == 0 {
		t.Errorf("changes noticed: %+v", a.NoticedTotal)
	}
	c := m.Clients
	if c.Sessions <= 50 || c.PasswordLogins == 0 || c.PreAuthLogins == 0 || c.Pings == 0 || c.Drops != 0 {
		t.Errorf("clients %+v", c)
	}
	if a.Excused[soak.ExcuseFresh].Pairs == 0 || a.Excused[soak.ExcuseClosing].Pairs == 0 {
		t.Errorf("no connection came or went around an event: %+v", a.Excused)
	}
	// Reconnecting slots may be between two sessions at any moment.
	if len(m.Samples) == 0 || m.LoadedStart == nil || m.LoadedStart.Conns < 40 || m.LoadedStart.Sockets[harness.SockClients] < 40 {
		t.Errorf("samples %d, loaded %+v", len(m.Samples), m.LoadedStart)
	}
	if r.IdleStart.Runtime.Goroutines == 0 || r.IdleEnd.Runtime.Goroutines == 0 || r.IdleEnd.Sockets[harness.SockClients] != 0 ||
		r.EndMetrics["active_connection_count"] != 0 || int(r.EndMetrics["total_connection_count"]) != r.Warmup.Clients.Sessions+c.Sessions {
		t.Errorf("idle start %+v, end %+v, metrics %v", r.IdleStart, r.IdleEnd, r.EndMetrics)
	}
	if !strings.Contains(stderr, "chaos: Redis killed") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
}

package main

import (
	"slices"
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
	t.Parallel() // mostly idle windows: it runs beside the instances' run
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
	// The reference wrote the same updates to the same 30 clients.
	if f := r.RefFanout; f == nil || f.Users != 30 || f.Expected != 90 || f.Received != 90 || f.Latency.Count != 90 {
		t.Errorf("reference fan-out: %+v", f)
	}
	if a := r.AppMetrics; a == nil || a.Connections != 50 || a.Held != 50 || !slices.Equal(a.InstanceCounts, []int{1}) {
		t.Errorf("the app's metrics query: %+v", a)
	}
	if !slices.Equal(r.Fanout.WarmQueries, []int{1}) || !slices.Equal(r.Drain.WarmQueries, []int{40}) || !slices.Equal(r.Drain.Queries, []int{0}) {
		t.Errorf("mapping queries: first fan-out round %v, cold burst %v, drain %v", r.Fanout.WarmQueries, r.Drain.WarmQueries, r.Drain.Queries)
	}
	if c := r.Redis; c.Nodes != 1 || len(c.Phases) != 5 || c.Loaded.UsedMemory == 0 {
		t.Errorf("Redis's own figures: %+v", c)
	}
	if len(r.Targets) < 9 {
		t.Errorf("targets: %+v", r.Targets)
	}
	if !strings.Contains(stderr, "idle for") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
}

// TestLoadgenInstancesEndToEnd runs two instances on a Redis Cluster, small
// and without the reference (the test above has it): every client is up on
// its instance, each fan-out reaches every client it should, every instance
// queried the database for itself, the app's metrics query answers the sum,
// each instance's own fan-out was measured with the other running and
// paused, and one instance alone was measured with instance 1's users,
// before the instances and after them.
func TestLoadgenInstancesEndToEnd(t *testing.T) {
	t.Parallel()
	var r struct {
		run.Report
		Targets []report.Target `json:"targets"`
	}
	stdout, _ := runLoadgen(t, 3*time.Minute, &r,
		"--instances", "2", "--redis-cluster", "--no-reference",
		"--conns", "60", "--baseline", "6", "--storm", "20", "--fanout-rounds", "2", "--instance-rounds", "7",
		"--ping-interval", "1s", "--idle", "2s", "--rate", "400", "--duration", "500ms",
		"--drain-rate", "400", "--drain-duration", "500ms", "--drain-storages", "40", "--settle", "5s",
		"--per-worker", "30", "--per-source", "10")
	if !strings.Contains(stdout, "2 notify_push instances on a Redis Cluster of 3 masters") {
		t.Errorf("the report does not say what ran:\n%s", stdout)
	}
	if len(r.Problems) > 0 {
		t.Errorf("problems: %v", r.Problems)
	}
	if r.Params.Instances != 2 || !r.Params.RedisCluster || r.Params.FanoutUsers != 60 || r.Env.Workers != 2 || r.Ref != nil {
		t.Errorf("params %+v, %d workers", r.Params, r.Env.Workers)
	}
	if len(r.Instances) != 2 || r.Server.Loaded.Conns != 60 {
		t.Fatalf("%d instances, %d connections", len(r.Instances), r.Server.Loaded.Conns)
	}
	for _, m := range r.Instances {
		if m.Loaded.Conns != 30 || m.Loaded.MetricsConns != 30 || m.Baseline.Conns != 3 || m.PingsPerConn < 2 {
			t.Errorf("%s: baseline %d, loaded %d (%v by its metrics), %.1f pings each", m.Name, m.Baseline.Conns, m.Loaded.Conns,
				m.Loaded.MetricsConns, m.PingsPerConn)
		}
	}
	fullRounds := func(what string, f run.Fanout, users, rounds int) {
		t.Helper()
		if f.Users != users || f.Rounds != rounds || f.Received != f.Expected || f.Expected != uint64(rounds*users) ||
			f.WarmReceived != uint64(users) {
			t.Errorf("%s: %+v", what, f)
		}
	}
	full := func(what string, f run.Fanout, users int) { t.Helper(); fullRounds(what, f, users, 2) }
	full("fan-out to every client", r.Fanout, 60)
	if len(r.Fanout.PerInstance) != 2 || r.Fanout.PerInstance[1].Received != 60 || !slices.Equal(r.Fanout.WarmQueries, []int{1, 1}) {
		t.Errorf("fan-out per instance %+v, first-round queries %v", r.Fanout.PerInstance, r.Fanout.WarmQueries)
	}
	if len(r.InstanceFanout) != 2 {
		t.Fatalf("%d fan-outs to one instance's users", len(r.InstanceFanout))
	}
	for i, f := range r.InstanceFanout {
		fullRounds("fan-out to one instance's users", f, 30, 7)
		if len(f.PerInstance) != 1 || f.PerInstance[0].Name != r.Instances[i].Name {
			t.Errorf("fan-out to %s's users reached %+v", r.Instances[i].Name, f.PerInstance)
		}
	}
	// The same update with the other instance paused: every delivery in,
	// and no connection of either instance dropped by the pause.
	if len(r.InstanceFanoutPaused) != 2 {
		t.Fatalf("%d fan-outs with the others paused", len(r.InstanceFanoutPaused))
	}
	for i, f := range r.InstanceFanoutPaused {
		fullRounds(r.Instances[i].Name+"'s fan-out with the other paused", f, 30, 7)
		if f.Dropped != 0 || r.InstanceFanout[i].Dropped != 0 {
			t.Errorf("%s: %d and %d connections dropped", r.Instances[i].Name, r.InstanceFanout[i].Dropped, f.Dropped)
		}
	}
	s := r.Single
	if s == nil {
		t.Fatal("no instance alone measured")
	}
	if s.Measured.Loaded.Conns != 30 || s.Measured.Baseline.Conns != 3 || s.Measured.Storm2.OK != 10 {
		t.Errorf("one alone: %+v", s.Measured)
	}
	full("one alone, fan-out", s.Fanout, 30)
	full("one alone, fan-out of its users", s.GroupFanout, 30)
	if s.GroupFanoutFirst == nil {
		t.Fatal("no instance alone measured before the instances")
	}
	full("one alone before the instances, fan-out of its users", *s.GroupFanoutFirst, 30)
	if !slices.Equal(r.Drain.WarmQueries, []int{40, 40}) || !slices.Equal(r.Drain.Queries, []int{0, 0}) || r.Drain.Lost != 0 ||
		r.Drain.Resubscribe || r.Through.Lost != 0 || r.Through.Accepted != 200 {
		t.Errorf("drain %+v, throughput lost %d accepted %d", r.Drain, r.Through.Lost, r.Through.Accepted)
	}
	if a := r.AppMetrics; a == nil || a.Connections != 60 || !slices.Equal(a.InstanceCounts, []int{2, 2}) {
		t.Errorf("the app's metrics query: %+v", a)
	}
	if c := r.Redis; c.Nodes != 3 || len(c.Phases) != 5 || c.Loaded.UsedMemory == 0 {
		t.Errorf("Redis's own figures: %+v", c)
	}
	if r.CredentialChecks != 6+20+34 {
		t.Errorf("the fake Nextcloud confirmed %d logins of the instances, want 60", r.CredentialChecks)
	}
	judged := false
	for _, tg := range r.Targets {
		if strings.HasPrefix(tg.Name, "connections: all up") || strings.HasPrefix(tg.Name, "app's metrics query") {
			if tg.Result != "PASS" {
				t.Errorf("%s: %s (%s)", tg.Name, tg.Result, tg.Measured)
			}
		}
		// At this size the latencies are noise: the verdict is not
		// asserted, only that both sides were there to judge.
		if strings.HasPrefix(tg.Name, "instances: fan-out p99 ≤") {
			judged = tg.Result != "N/A" && strings.Contains(tg.Ref, "the others paused")
		}
	}
	if !judged {
		t.Errorf("the per-instance fan-out was not judged against the others paused: %+v", r.Targets)
	}
}

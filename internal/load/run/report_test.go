package run

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/hist"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/report"
)

// latencies returns a histogram of n values of us microseconds.
func latencies(n int, us uint64) hist.Latencies {
	var h hist.Histogram
	for range n {
		h.Record(us)
	}
	return h.Snapshot()
}

func measured(name string, perConnRSS uint64, cpu float64) Measured {
	const n0, n = 100, 19_000
	base := uint64(30 << 20)
	return Measured{
		Name: name,
		Baseline: Snapshot{Conns: n0, Memory: harness.Memory{RSS: base, RSSAnon: base},
			Runtime: harness.RuntimeStats{Goroutines: 200, StackBytes: 1 << 20}},
		Loaded: Snapshot{Conns: n, Memory: harness.Memory{RSS: base + (n-n0)*perConnRSS, RSSAnon: base + (n-n0)*perConnRSS},
			Runtime: harness.RuntimeStats{Goroutines: 200 + n - n0, StackBytes: 1<<20 + (n-n0)*4096}},
		IdleSeconds: 62, CPUPercent: cpu, PingsPerConn: 2,
		Storm1: Connect{Requested: 10_000, OK: 10_000, Seconds: 2.5, Latency: latencies(10, 40_000)},
		Storm2: Connect{Requested: 10_000, OK: 10_000, Seconds: 2.7},
		TopUp:  Connect{Requested: 8_900, OK: 8_900, Seconds: 3},
	}
}

// goodReport meets every target at the issue's own figures.
func goodReport() *Report {
	ref := measured("reference", 20<<10, 1.0)
	return &Report{
		Params: Params{Conns: 19_000, Baseline: 100, Storm: 10_000, FanoutUsers: 10_000, FanoutRounds: 10, Rate: 50_000, DrainRate: 20_000,
			Mix: "custom=50,activity=25,notification=25"},
		Server: measured("notify_push", 6<<10, 1.2),
		Ref:    &ref,
		Fanout: Fanout{Users: 10_000, Rounds: 10, Expected: 100_000, Received: 100_000, Latency: latencies(100, 50_000),
			WarmReceived: 10_000, WarmLatency: latencies(10, 300_000)},
		RefFanout:  &Fanout{Users: 10_000, Rounds: 10, Expected: 100_000, Received: 100_000, Latency: latencies(100, 60_000)},
		AppMetrics: &AppMetrics{Connections: 19_000, Held: 19_000, InstanceCounts: []int{1}},
		Through: Through{Published: 500_000, PublishRate: 49_990, Accepted: 500_000, AcceptRate: 49_800,
			Expected: map[events.EventKind]uint64{events.KindCustom: 500_000}, Received: protocol.Received{Custom: 500_000}, Seconds: 10.02,
			Latency: latencies(10, 900)},
		Drain: Drain{Storages: 10_000, Published: 200_000, PublishRate: 19_999, AcceptRate: 19_990, Counted: true, MaxLag: 100,
			Received: 200_000},
	}
}

func results(r *Report) map[string]string {
	out := map[string]string{}
	for _, t := range r.Targets() {
		out[strings.SplitN(t.Name, ":", 2)[0]+"|"+t.Name] = t.Result
	}
	return out
}

func resultOf(t *testing.T, r *Report, prefix string) report.Target {
	t.Helper()
	for _, tg := range r.Targets() {
		if strings.HasPrefix(tg.Name, prefix) {
			return tg
		}
	}
	t.Fatalf("no target %q in %v", prefix, results(r))
	return report.Target{}
}

func TestPerConnDividesGrowthByAddedConnections(t *testing.T) {
	r := goodReport()
	pc, ok := r.Server.PerConn()
	if !ok || pc.RSS != 6<<10 || pc.Goroutines != 1 || pc.Stack != 4096 {
		t.Fatalf("per connection %+v, %v", pc, ok)
	}
	r.Server.Loaded.Conns = r.Server.Baseline.Conns
	if _, ok := r.Server.PerConn(); ok {
		t.Fatal("no connections added, yet a per-connection figure")
	}
}

func TestTargetsPassWhenMet(t *testing.T) {
	r := goodReport()
	for _, tg := range r.Targets() {
		if tg.Result != "PASS" && tg.Result != "INFO" {
			t.Errorf("%s: %s (%s)", tg.Name, tg.Result, tg.Measured)
		}
		if tg.Note != "" {
			t.Errorf("%s: note %q at the issue's own figures", tg.Name, tg.Note)
		}
	}
	if r.Failed() {
		t.Error("Failed with every target met")
	}
	if got := resultOf(t, r, "RSS per connection ≤ 0.5×"); got.Measured != "0.30×" || got.Ref != "20.00 KiB" {
		t.Errorf("ratio target %+v", got)
	}
}

func TestTargetsFailWhenMissed(t *testing.T) {
	for _, c := range []struct {
		target string
		spoil  func(r *Report)
	}{
		{"RSS per connection ≤ 8 KiB", func(r *Report) { r.Server = measured("notify_push", 9<<10, 1) }},
		{"RSS per connection ≤ 0.5×", func(r *Report) { r.Server = measured("notify_push", 11<<10, 1) }},
		{"CPU at rest", func(r *Report) { r.Server.CPUPercent = 3.0 }},
		{"fan-out", func(r *Report) { r.Fanout.Received-- }},
		{"fan-out: p99 ≤", func(r *Report) { r.Fanout.Latency = latencies(100, 10*r.RefFanout.Latency.Quantile(0.99)) }},
		{"throughput", func(r *Report) { r.Through.AcceptRate = 43_000 }},
		{"throughput", func(r *Report) { r.Through.Lost = 1 }},
		{"connect storm, Basic", func(r *Report) { r.Server.Storm1.Seconds = 5.2 }},
		{"connect storm, pre-auth", func(r *Report) { r.Server.Storm2.Failed = 1 }},
		{"Redis drain", func(r *Report) { r.Drain.Resubscribe = true }},
		{"Redis drain", func(r *Report) { r.Drain.Disconnects = 1 }},
		{"Redis drain", func(r *Report) { r.Drain.AcceptRate = 15_000 }},
		{"Redis drain", func(r *Report) { r.Drain.Counted = false }},
	} {
		r := goodReport()
		c.spoil(r)
		if got := resultOf(t, r, c.target); got.Result != "FAIL" {
			t.Errorf("%s: %s after spoiling (%s)", c.target, got.Result, got.Measured)
		}
		if !r.Failed() {
			t.Errorf("%s: Failed() is false", c.target)
		}
	}
}

func TestTargetsNotApplicable(t *testing.T) {
	r := goodReport()
	r.Ref = nil
	r.Params.Rate = 1000
	r.Fanout = Fanout{}
	if got := resultOf(t, r, "RSS per connection ≤ 0.5×"); got.Result != "N/A" {
		t.Errorf("without a reference: %s", got.Result)
	}
	if got := resultOf(t, r, "throughput"); got.Result != "N/A" || !strings.Contains(got.Note, "offered only 1,000/s") {
		t.Errorf("below the target rate: %+v", got)
	}
	if got := resultOf(t, r, "fan-out"); got.Result != "N/A" {
		t.Errorf("no fan-out: %s", got.Result)
	}
	r.Server.Storm1.Requested = 20
	if got := resultOf(t, r, "connect storm, Basic"); !strings.Contains(got.Note, "measured at 20 logins; the target is at 10000") {
		t.Errorf("small storm without a note: %+v", got)
	}
}

func TestWriteTextShowsVerdictsAndBreakdown(t *testing.T) {
	r := goodReport()
	r.Server = measured("notify_push", 24<<10, 1.1)
	r.Env = harness.EnvInfo{GoVersion: "go1.26", CPUs: 2, Workers: 3, Sources: "127.0.0.2–127.0.0.9"}
	r.Problems = []string{"something odd"}
	var out bytes.Buffer
	r.WriteText(&out)
	text := out.String()
	for _, want := range []string{
		"RSS per connection ≤ 8 KiB", "24.00 KiB", "20.00 KiB", "1.20×", "FAIL", "PASS",
		"goroutine stacks", "4.00 KiB", "notify_push loaded", "reference baseline", "19000",
		"fan-out, 10 rounds (mapping cached)", "100000/100000 received", "storage-update drain",
		"share these CPUs", "something odd", "Rates pass within 1 %",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Server.Loaded.Memory.RSS != r.Server.Loaded.Memory.RSS {
		t.Fatalf("JSON round trip: %v", err)
	}
}

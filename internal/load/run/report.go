package run

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/hist"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/report"
)

// Report is everything one run measured; Targets judges it against the
// figures of the issue.
type Report struct {
	harness.RunInfo
	Params  Params    `json:"params"`
	Server  Measured  `json:"server"`
	Ref     *Measured `json:"reference,omitempty"`
	Fanout  Fanout    `json:"fanout"`
	Through Through   `json:"throughput"`
	Drain   Drain     `json:"drain"`
	// CredentialChecks counts the logins the fake Nextcloud confirmed:
	// every Basic-checked login of notify_push must have asked it.
	CredentialChecks uint64   `json:"credential_checks"`
	Problems         []string `json:"problems,omitempty"`
}

// Params are the parameters of the run, after capping to what fits.
type Params struct {
	Conns         int     `json:"conns"`
	Baseline      int     `json:"baseline"`
	Storm         int     `json:"storm"`
	FanoutUsers   int     `json:"fanout_users"`
	FanoutRounds  int     `json:"fanout_rounds"`
	PingSeconds   float64 `json:"ping_interval_s"`
	IdleSeconds   float64 `json:"idle_s"`
	Rate          int     `json:"rate"`
	ThroughputS   float64 `json:"throughput_s"`
	Mix           string  `json:"mix"`
	DrainRate     int     `json:"drain_rate"`
	DrainS        float64 `json:"drain_s"`
	DrainStorages int     `json:"drain_storages"`
	PerWorker     int     `json:"per_worker"`
	PerSource     int     `json:"per_source"`
	Concurrency   int     `json:"concurrency"`
	ClientSched   string  `json:"client_sched,omitempty"`
}

// Snapshot is a server's memory at one connection count, after a forced GC.
type Snapshot struct {
	Conns   int                  `json:"conns"`
	Memory  harness.Memory       `json:"memory"`
	Runtime harness.RuntimeStats `json:"runtime"`
	// From /metrics (notify_push only; -1 otherwise).
	MetricsRSS        float64 `json:"metrics_rss"`
	MetricsGoroutines float64 `json:"metrics_goroutines"`
	MetricsConns      float64 `json:"metrics_conns"`
}

// Measured is one server's memory and CPU at rest.
type Measured struct {
	Name     string   `json:"name"`
	Baseline Snapshot `json:"baseline"`
	Loaded   Snapshot `json:"loaded"`
	// CPU at rest over the idle window.
	IdleSeconds float64 `json:"idle_s"`
	CPUPercent  float64 `json:"cpu_percent"`
	// PingsPerConn is the pings each connection answered in the idle window.
	PingsPerConn float64 `json:"pings_per_conn"`
	IdleDropped  int     `json:"idle_dropped"`
	// The connections beyond the baseline: a storm closed again, a storm
	// that stays (pre-auth for notify_push), the rest up to N.
	Storm1 Connect `json:"storm_1"`
	Storm2 Connect `json:"storm_2"`
	TopUp  Connect `json:"top_up"`
}

// PerConn is the cost of one connection: Δ/ΔN between the two snapshots.
type PerConn struct {
	RSS, RSSAnon, Goroutines, Stack, HeapBytes, HeapObjects, HeapUnused, Metadata, Total float64
}

// PerConn divides the growth from baseline to loaded by the connections added.
func (m Measured) PerConn() (PerConn, bool) {
	n := float64(m.Loaded.Conns - m.Baseline.Conns)
	if n <= 0 {
		return PerConn{}, false
	}
	d := func(a, b uint64) float64 { return (float64(b) - float64(a)) / n }
	b, l := m.Baseline, m.Loaded
	return PerConn{
		RSS:         d(b.Memory.RSS, l.Memory.RSS),
		RSSAnon:     d(b.Memory.RSSAnon, l.Memory.RSSAnon),
		Goroutines:  d(b.Runtime.Goroutines, l.Runtime.Goroutines),
		Stack:       d(b.Runtime.StackBytes, l.Runtime.StackBytes),
		HeapBytes:   d(b.Runtime.HeapObjectBytes, l.Runtime.HeapObjectBytes),
		HeapObjects: d(b.Runtime.HeapObjects, l.Runtime.HeapObjects),
		HeapUnused:  d(b.Runtime.HeapUnusedBytes, l.Runtime.HeapUnusedBytes),
		Metadata:    d(b.Runtime.MetadataBytes, l.Runtime.MetadataBytes),
		Total:       d(b.Runtime.TotalBytes-b.Runtime.HeapReleasedBytes, l.Runtime.TotalBytes-l.Runtime.HeapReleasedBytes),
	}, true
}

// Connect is one batch of logins.
type Connect struct {
	Requested int            `json:"requested"`
	OK        int            `json:"ok"`
	Failed    int            `json:"failed"`
	Seconds   float64        `json:"seconds"`
	Latency   hist.Latencies `json:"latency"`
	Errors    map[string]int `json:"errors,omitempty"`
}

// Rate is logins per second.
func (c Connect) Rate() float64 {
	if c.Seconds <= 0 {
		return 0
	}
	return float64(c.OK) / c.Seconds
}

// Fanout is the storage updates on the shared storage.
type Fanout struct {
	Users    int            `json:"users"` // connected fan-out users: deliveries per event
	Rounds   int            `json:"rounds"`
	Expected uint64         `json:"expected"`
	Received uint64         `json:"received"`
	Latency  hist.Latencies `json:"latency"`
	// Warm is the first round, whose mapping query is not cached yet.
	WarmReceived uint64         `json:"warm_received"`
	WarmLatency  hist.Latencies `json:"warm_latency"`
	Dropped      int            `json:"dropped"`
}

// Through is the per-user event stream.
type Through struct {
	Published   int                         `json:"published"`
	PublishRate float64                     `json:"publish_rate"`
	Accepted    int                         `json:"accepted"` // events the server counted
	AcceptRate  float64                     `json:"accept_rate"`
	Expected    map[events.EventKind]uint64 `json:"expected"`
	Received    protocol.Received           `json:"received"`
	Lost        uint64                      `json:"lost"`
	Extra       uint64                      `json:"extra"`
	Seconds     float64                     `json:"seconds"` // first publish to last receipt
	Latency     hist.Latencies              `json:"latency"`
	Dropped     int                         `json:"dropped"`
}

// DeliveredRate is deliveries per second, first publish to last receipt.
func (t Through) DeliveredRate() float64 {
	if t.Seconds <= 0 {
		return 0
	}
	return float64(t.Received.Deliveries()) / t.Seconds
}

// Drain is the storage-update stream the subscriber must keep up with.
type Drain struct {
	Storages    int     `json:"storages"`
	Published   int     `json:"published"`
	PublishRate float64 `json:"publish_rate"`
	AcceptRate  float64 `json:"accept_rate"`
	// Behind is how long after the last PUBLISH the server had counted every event.
	Behind      float64        `json:"behind_s"`
	Counted     bool           `json:"counted"` // every event counted before the settle timeout
	MaxLag      int            `json:"max_lag"` // events published but not yet counted, at worst
	MaxOmem     int64          `json:"max_omem"`
	Disconnects int64          `json:"output_buffer_disconnects"` // -1: Redis does not say
	Resubscribe bool           `json:"resubscribed"`
	Received    uint64         `json:"received"`
	Lost        uint64         `json:"lost"`
	Latency     hist.Latencies `json:"latency"`
	Dropped     int            `json:"dropped"`
}

// The thresholds.
const (
	targetRSSPerConn    = 8 * 1024
	targetRefRatio      = 0.5
	targetCPUPercent    = 3
	targetFanoutP99     = 100 * time.Millisecond
	targetThroughput    = 50_000
	targetStormSeconds  = 5
	targetDrainRate     = 20_000
	targetStormLogins   = 10_000
	targetFanoutUsers   = 10_000
	targetIdleConns     = 19_000
	targetDrainStorages = 10_000
	// rateTolerance is the resolution of a measured rate: the publisher
	// paces in 1 ms batches and the server's count is polled every 10 ms, so
	// a server that keeps up shows a rate a fraction of a percent low.
	rateTolerance = 0.99
)

// at names the figure a run was made at when it is not the issue's.
func at(got, want int, what string) string {
	if got == want {
		return ""
	}
	return fmt.Sprintf("measured at %d %s; the target is at %d", got, what, want)
}

// Targets judges the run against the figures.
func (r *Report) Targets() []report.Target {
	var ts []report.Target
	pc, okPC := r.Server.PerConn()
	var refPC PerConn
	okRef := false
	if r.Ref != nil {
		refPC, okRef = r.Ref.PerConn()
	}
	n := r.Server.Loaded.Conns
	atN := at(n, targetIdleConns, "connections")
	mem := report.Target{Name: "memory at N idle connections", Measured: report.MiB(r.Server.Loaded.Memory.RSS) + " RSS", Result: "INFO", Note: atN}
	if r.Ref != nil {
		mem.Ref = report.MiB(r.Ref.Loaded.Memory.RSS)
		mem.Ratio = report.Ratio(float64(r.Server.Loaded.Memory.RSS), float64(r.Ref.Loaded.Memory.RSS))
	}
	ts = append(ts, mem)

	rss := report.Target{Name: "RSS per connection ≤ 8 KiB", Result: "N/A", Note: atN}
	rel := report.Target{Name: "RSS per connection ≤ 0.5× reference", Result: "N/A", Note: atN}
	if okPC {
		rss.Measured = report.KiB(pc.RSS)
		rss.Result = report.Verdict(pc.RSS <= targetRSSPerConn)
		if okRef {
			rss.Ref, rss.Ratio = report.KiB(refPC.RSS), report.Ratio(pc.RSS, refPC.RSS)
			rel.Measured, rel.Ref = report.Ratio(pc.RSS, refPC.RSS), report.KiB(refPC.RSS)
			rel.Result = report.Verdict(refPC.RSS > 0 && pc.RSS <= targetRefRatio*refPC.RSS)
		}
	}
	ts = append(ts, rss, rel)

	cpu := report.Target{Name: "CPU at rest < 3 % of a core", Result: "N/A", Note: atN}
	if r.Server.IdleSeconds > 0 {
		cpu.Measured = fmt.Sprintf("%.2f %% over %.0f s", r.Server.CPUPercent, r.Server.IdleSeconds)
		cpu.Result = report.Verdict(r.Server.CPUPercent < targetCPUPercent)
		if r.Ref != nil {
			cpu.Ref = fmt.Sprintf("%.2f %%", r.Ref.CPUPercent)
			cpu.Ratio = report.Ratio(r.Server.CPUPercent, r.Ref.CPUPercent)
		}
	}
	ts = append(ts, cpu)

	f := r.Fanout
	lost := max(int64(f.Expected)-int64(f.Received), 0)
	fan := report.Target{Name: "fan-out: p99 ≤ 100 ms, 0 lost", Result: "N/A", Note: at(f.Users, targetFanoutUsers, "users")}
	if f.Rounds > 0 {
		fan.Measured = fmt.Sprintf("p99 %s, max %s, %d/%d lost", report.Micros(f.Latency.Quantile(0.99)), report.Micros(f.Latency.Max), lost, f.Expected)
		fan.Result = report.Verdict(f.Expected > 0 && lost == 0 &&
			time.Duration(f.Latency.Quantile(0.99))*time.Microsecond <= targetFanoutP99)
	}
	ts = append(ts, fan)

	t := r.Through
	thr := report.Target{Name: "throughput ≥ 50,000 events/s, 0 lost", Result: "N/A"}
	if t.Published > 0 {
		thr.Measured = fmt.Sprintf("%s/s in, %s/s out, %d lost", report.Count(t.AcceptRate), report.Count(t.DeliveredRate()), t.Lost)
		if r.Params.Rate < targetThroughput {
			thr.Note = fmt.Sprintf("offered only %s/s", report.Count(float64(r.Params.Rate)))
		} else {
			thr.Result = report.Verdict(t.Lost == 0 && t.AcceptRate >= rateTolerance*targetThroughput &&
				t.DeliveredRate() >= rateTolerance*targetThroughput)
		}
	}
	ts = append(ts, thr)

	for _, s := range []struct {
		name string
		c    func(*Measured) Connect
	}{
		{"Basic-checked", func(m *Measured) Connect { return m.Storm1 }},
		{"pre-auth", func(m *Measured) Connect { return m.Storm2 }},
	} {
		c := s.c(&r.Server)
		st := report.Target{Name: "connect storm, " + s.name + ": within 5 s", Result: "N/A",
			Note: at(c.Requested, targetStormLogins, "logins")}
		if c.Requested > 0 {
			st.Measured = fmt.Sprintf("%.2f s (%s/s), %d failed", c.Seconds, report.Count(c.Rate()), c.Failed)
			st.Result = report.Verdict(c.Failed == 0 && c.Seconds <= targetStormSeconds)
			if r.Ref != nil && s.c(r.Ref).Requested > 0 {
				rc := s.c(r.Ref)
				st.Ref = fmt.Sprintf("%.2f s", rc.Seconds)
				st.Ratio = report.Ratio(c.Seconds, rc.Seconds)
			}
		}
		ts = append(ts, st)
	}

	d := r.Drain
	dr := report.Target{Name: "Redis drain ≥ 20,000 updates/s, no disconnect", Result: "N/A",
		Note: at(d.Storages, targetDrainStorages, "cached storages")}
	if d.Published > 0 {
		dr.Measured = fmt.Sprintf("%s/s, %.2f s behind, %s disconnects", report.Count(d.AcceptRate), d.Behind, disconnects(d.Disconnects))
		dr.Result = report.Verdict(d.Counted && d.AcceptRate >= rateTolerance*targetDrainRate && d.Disconnects <= 0 && !d.Resubscribe)
		if r.Params.DrainRate < targetDrainRate {
			dr.Result = "N/A"
			dr.Note = joinNotes(dr.Note, fmt.Sprintf("offered only %s/s", report.Count(float64(r.Params.DrainRate))))
		}
	}
	ts = append(ts, dr)
	return ts
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Failed reports whether any target failed.
func (r *Report) Failed() bool {
	for _, t := range r.Targets() {
		if t.Result == "FAIL" {
			return true
		}
	}
	return false
}

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) {
	p := r.Params
	fmt.Fprintf(w, "notify_push load report — %s, %.0f s\n", r.Started.Format(time.RFC3339), r.Seconds)
	fmt.Fprintf(w, "machine: %s, %d CPUs, load average %s before / %s after; RLIMIT_NOFILE %d\n",
		r.Env.GoVersion, r.Env.CPUs, r.Env.LoadBefore, r.Env.LoadAfter, r.Env.FileLimit)
	fmt.Fprintf(w, "  (servers, Redis, the publisher and %d client workers share these CPUs with whatever else runs: figures are\n"+
		"  indicative, and latencies include the client workers' own wait for a CPU)\n", r.Env.Workers)
	if p.ClientSched == "batch" {
		fmt.Fprintln(w, "  (client workers run under SCHED_BATCH: their fair share of the CPUs, without preempting the server at each frame)")
	}
	pingNote := ""
	if p.PingSeconds == 30 {
		pingNote = " (the production default)"
	}
	fmt.Fprintf(w, "run: %d connections (baseline %d), storms of %d, fan-out %d users × %d rounds, ping interval %gs%s, idle window %gs\n",
		p.Conns, p.Baseline, p.Storm, p.FanoutUsers, p.FanoutRounds, p.PingSeconds, pingNote, p.IdleSeconds)
	fmt.Fprintf(w, "     throughput %d/s for %gs (%s), drain %d/s for %gs over %d storages; ≤ %d sockets per worker, ≤ %d per source, from %s\n",
		p.Rate, p.ThroughputS, p.Mix, p.DrainRate, p.DrainS, p.DrainStorages, p.PerWorker, p.PerSource, r.Env.Sources)
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Targets")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  target\tnotify_push\treference\tratio\tresult")
	var notes []string
	for _, t := range r.Targets() {
		mark := ""
		if t.Note != "" {
			notes = append(notes, t.Note)
			mark = fmt.Sprintf(" [%d]", len(notes))
		}
		fmt.Fprintf(tw, "  %s%s\t%s\t%s\t%s\t%s\n", t.Name, mark, report.Dash(t.Measured), report.Dash(t.Ref), report.Dash(t.Ratio), t.Result)
	}
	tw.Flush()
	for i, n := range notes {
		fmt.Fprintf(w, "  [%d] %s\n", i+1, n)
	}
	fmt.Fprintln(w, "  Rates pass within 1 % of the target (pacing in 1 ms batches, counts polled every 10 ms).")
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Per connection (Δ from baseline to loaded, after two ping cycles and a forced GC, ÷ ΔN)")
	pc, okPC := r.Server.PerConn()
	var refPC PerConn
	okRef := false
	if r.Ref != nil {
		refPC, okRef = r.Ref.PerConn()
	}
	fmt.Fprintf(w, "  %-34s %12s %12s %8s\n", "", "notify_push", "reference", "ratio")
	row := func(name string, a, b float64, unit func(float64) string) {
		if !okPC {
			return
		}
		ref, rat := "—", "—"
		if okRef {
			ref, rat = unit(b), report.Ratio(a, b)
		}
		fmt.Fprintf(w, "  %-34s %12s %12s %8s\n", name, unit(a), ref, rat)
	}
	plain := func(format string) func(float64) string {
		return func(v float64) string { return fmt.Sprintf(format, v) }
	}
	row("RSS (VmRSS)", pc.RSS, refPC.RSS, report.KiB)
	row("RSS, anonymous", pc.RSSAnon, refPC.RSSAnon, report.KiB)
	row("goroutines", pc.Goroutines, refPC.Goroutines, plain("%.2f"))
	row("goroutine stacks", pc.Stack, refPC.Stack, report.KiB)
	row("heap objects, bytes", pc.HeapBytes, refPC.HeapBytes, report.KiB)
	row("heap objects, count", pc.HeapObjects, refPC.HeapObjects, plain("%.1f"))
	row("heap unused (fragmentation)", pc.HeapUnused, refPC.HeapUnused, report.KiB)
	row("runtime metadata", pc.Metadata, refPC.Metadata, report.KiB)
	row("runtime mapped − released", pc.Total, refPC.Total, report.KiB)
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Servers")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tconnections\tRSS\tgoroutines\tthreads\t/metrics RSS\t/metrics goroutines\tCPU at rest\tpings/conn\tdropped")
	for _, m := range []*Measured{&r.Server, r.Ref} {
		if m == nil {
			continue
		}
		for _, s := range []struct {
			what string
			snap Snapshot
		}{{"baseline", m.Baseline}, {"loaded", m.Loaded}} {
			cpu, pings, dropped := "", "", ""
			if s.what == "loaded" {
				cpu = fmt.Sprintf("%.2f %% over %.0f s", m.CPUPercent, m.IdleSeconds)
				pings = fmt.Sprintf("%.2f", m.PingsPerConn)
				dropped = fmt.Sprint(m.IdleDropped)
			}
			fmt.Fprintf(tw, "  %s %s\t%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", m.Name, s.what, s.snap.Conns, report.MiB(s.snap.Memory.RSS),
				s.snap.Runtime.Goroutines, s.snap.Memory.Threads, metricMiB(s.snap.MetricsRSS), metricCount(s.snap.MetricsGoroutines),
				report.Dash(cpu), report.Dash(pings), report.Dash(dropped))
		}
	}
	tw.Flush()
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Phases")
	f, t, d := r.Fanout, r.Through, r.Drain
	phase := func(name, format string, args ...any) {
		fmt.Fprintf(w, "  %s\n      %s\n", name, fmt.Sprintf(format, args...))
	}
	for _, m := range []*Measured{&r.Server, r.Ref} {
		if m == nil {
			continue
		}
		second := "pre-auth, stays"
		if m != &r.Server {
			second = "the same logins, stays"
		}
		for _, c := range []struct {
			name string
			c    Connect
		}{{"connect storm 1 (Basic-checked, closed again)", m.Storm1}, {"connect storm 2 (" + second + ")", m.Storm2},
			{"top-up to N (Basic-checked)", m.TopUp}} {
			if c.c.Requested > 0 {
				phase(m.Name+", "+c.name, "%d/%d up in %.2f s = %s logins/s; login p50 %s, p99 %s, max %s%s", c.c.OK, c.c.Requested,
					c.c.Seconds, report.Count(c.c.Rate()), report.Micros(c.c.Latency.Quantile(0.5)), report.Micros(c.c.Latency.Quantile(0.99)), report.Micros(c.c.Latency.Max),
					report.Tally("; failures: ", c.c.Errors))
			}
		}
	}
	if r.CredentialChecks > 0 {
		phase("credential checks", "%d logins confirmed by the fake Nextcloud (notify_push's Basic-checked logins: baseline, storm 1, top-up)",
			r.CredentialChecks)
	}
	if f.Rounds > 0 {
		phase("fan-out, first round (mapping not cached)", "%d/%d received; p50 %s, p99 %s, max %s", f.WarmReceived, f.Users,
			report.Micros(f.WarmLatency.Quantile(0.5)), report.Micros(f.WarmLatency.Quantile(0.99)), report.Micros(f.WarmLatency.Max))
		phase(fmt.Sprintf("fan-out, %d rounds (mapping cached)", f.Rounds), "%d/%d received; p50 %s, p99 %s, max %s; %d connections dropped",
			f.Received, f.Expected, report.Micros(f.Latency.Quantile(0.5)), report.Micros(f.Latency.Quantile(0.99)), report.Micros(f.Latency.Max), f.Dropped)
	}
	if t.Published > 0 {
		phase("throughput, "+r.Params.Mix, "%d published at %s/s; the server counted %d (%s/s); %d delivered in %.2f s (%s/s), "+
			"%d lost, %d extra; latency (custom) p50 %s, p99 %s, max %s; %d connections dropped",
			t.Published, report.Count(t.PublishRate), t.Accepted, report.Count(t.AcceptRate), t.Received.Deliveries(), t.Seconds,
			report.Count(t.DeliveredRate()), t.Lost, t.Extra, report.Micros(t.Latency.Quantile(0.5)), report.Micros(t.Latency.Quantile(0.99)), report.Micros(t.Latency.Max), t.Dropped)
	}
	if d.Published > 0 {
		phase("storage-update drain", "%d published at %s/s over %d cached storages; the server counted all: %v, at %s/s, "+
			"%.2f s after the last PUBLISH; lag at most %d events, subscriber output buffer at most %s (limit %s); "+
			"output-buffer disconnects %s, resubscribed %v; %d delivered, %d lost, latency p50 %s, p99 %s, max %s",
			d.Published, report.Count(d.PublishRate), d.Storages, d.Counted, report.Count(d.AcceptRate), d.Behind, d.MaxLag, report.Bytes(d.MaxOmem),
			report.Dash(r.Env.RedisBuffer), disconnects(d.Disconnects), d.Resubscribe, d.Received, d.Lost,
			report.Micros(d.Latency.Quantile(0.5)), report.Micros(d.Latency.Quantile(0.99)), report.Micros(d.Latency.Max))
	}
	if len(r.Problems) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Problems")
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
	}
}

func metricMiB(v float64) string {
	if v < 0 {
		return "—"
	}
	return report.MiB(uint64(v))
}

func metricCount(v float64) string {
	if v < 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", v)
}

func disconnects(v int64) string {
	if v < 0 {
		return "unknown"
	}
	return fmt.Sprint(v)
}

// JSON is the report as --json writes it: with its verdicts.
func (r *Report) JSON() any {
	return struct {
		*Report
		Targets []report.Target `json:"targets"`
	}{r, r.Targets()}
}

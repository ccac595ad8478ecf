package run

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/notifypush/notify_push/internal/load/report"
)

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
	redis := "one redis-server"
	if p.RedisCluster {
		redis = fmt.Sprintf("a Redis Cluster of %d masters", r.Redis.Nodes)
	}
	if p.Instances > 1 {
		fmt.Fprintf(w, "     one instance alone with instance 1's users (fan-out only); %d notify_push instances on %s, user u on\n"+
			"     instance u mod %d, each one's own fan-out %d rounds with the others running and %d paused, in blocks of %d;\n"+
			"     then one instance alone with instance 1's users, then the reference with the same users\n",
			p.Instances, redis, p.Instances, p.InstanceRounds, p.InstanceRounds, instanceBlock)
	} else {
		fmt.Fprintf(w, "     notify_push on %s\n", redis)
	}
	fmt.Fprintln(w)

	r.writeTargets(w)
	r.writePerConn(w)
	r.writeServers(w)
	r.writePhases(w)
	r.writeRedisAndDatabase(w)
	r.writeSizing(w)
	if len(r.Problems) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Problems")
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
	}
}

func (r *Report) writeTargets(w io.Writer) {
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
	if len(r.Instances) > 0 {
		fmt.Fprintf(w, "  \"one instance alone\" holds instance 1's users with the same history, measured in this run; the fan-out\n"+
			"  reference column is ours against the reference writing the same update to the same clients. Each\n"+
			"  instance's own fan-out is judged against the same instance with the others paused, in the same minutes.\n")
	}
	fmt.Fprintln(w)
}

// columns are the servers the per-connection table compares.
func (r *Report) columns() []*Measured {
	cols := []*Measured{&r.Server}
	for i := range r.Instances {
		cols = append(cols, &r.Instances[i])
	}
	if r.Single != nil {
		cols = append(cols, &r.Single.Measured)
	}
	if r.Ref != nil {
		cols = append(cols, r.Ref)
	}
	return cols
}

func (r *Report) writePerConn(w io.Writer) {
	fmt.Fprintln(w, "Per connection (Δ from baseline to loaded, after two ping cycles and a forced GC, ÷ ΔN)")
	plain := func(format string) func(float64) string {
		return func(v float64) string { return fmt.Sprintf(format, v) }
	}
	rows := []struct {
		name string
		v    func(PerConn) float64
		unit func(float64) string
	}{
		{"RSS (VmRSS)", func(p PerConn) float64 { return p.RSS }, report.KiB},
		{"RSS, anonymous", func(p PerConn) float64 { return p.RSSAnon }, report.KiB},
		{"goroutines", func(p PerConn) float64 { return p.Goroutines }, plain("%.2f")},
		{"goroutine stacks", func(p PerConn) float64 { return p.Stack }, report.KiB},
		{"heap objects, bytes", func(p PerConn) float64 { return p.HeapBytes }, report.KiB},
		{"heap objects, count", func(p PerConn) float64 { return p.HeapObjects }, plain("%.1f")},
		{"heap unused (fragmentation)", func(p PerConn) float64 { return p.HeapUnused }, report.KiB},
		{"runtime metadata", func(p PerConn) float64 { return p.Metadata }, report.KiB},
		{"runtime mapped − released", func(p PerConn) float64 { return p.Total }, report.KiB},
	}
	pc, okPC := r.Server.PerConn()
	if !okPC {
		fmt.Fprintln(w)
		return
	}
	if len(r.Instances) == 0 {
		// One server: notify_push against the reference.
		var refPC PerConn
		okRef := false
		if r.Ref != nil {
			refPC, okRef = r.Ref.PerConn()
		}
		fmt.Fprintf(w, "  %-34s %12s %12s %8s\n", "", "notify_push", "reference", "ratio")
		for _, row := range rows {
			ref, rat := "—", "—"
			if okRef {
				ref, rat = row.unit(row.v(refPC)), report.Ratio(row.v(pc), row.v(refPC))
			}
			fmt.Fprintf(w, "  %-34s %12s %12s %8s\n", row.name, row.unit(row.v(pc)), ref, rat)
		}
		fmt.Fprintln(w)
		return
	}
	cols := r.columns()
	fmt.Fprintf(w, "  %-30s", "")
	for _, m := range cols {
		fmt.Fprintf(w, " %18s", m.Name)
	}
	fmt.Fprintln(w)
	for _, row := range rows {
		fmt.Fprintf(w, "  %-30s", row.name)
		for _, m := range cols {
			v := "—"
			if p, ok := m.PerConn(); ok {
				v = row.unit(row.v(p))
			}
			fmt.Fprintf(w, " %18s", v)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

func (r *Report) writeServers(w io.Writer) {
	fmt.Fprintln(w, "Servers")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tconnections\tRSS\tgoroutines\tthreads\t/metrics RSS\t/metrics goroutines\tCPU at rest\tpings/conn\tdropped")
	for _, m := range r.columns() {
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
}

// phase writes one phase's heading and its figures.
func phase(w io.Writer, name, format string, args ...any) {
	fmt.Fprintf(w, "  %s\n      %s\n", name, fmt.Sprintf(format, args...))
}

// fanoutLine writes a fan-out's rounds (and its first, uncached one when
// warm); cached says the server caches the mapping.
func fanoutLine(w io.Writer, name string, f Fanout, warm, cached bool) {
	if f.Rounds == 0 {
		return
	}
	rounds := fmt.Sprintf("%s, %d rounds", name, f.Rounds)
	if cached {
		rounds += " (mapping cached)"
	}
	if warm {
		phase(w, name+", first round (mapping not cached)", "%d/%d received; p50 %s, p99 %s, max %s%s", f.WarmReceived, f.Users,
			report.Micros(f.WarmLatency.Quantile(0.5)), report.Micros(f.WarmLatency.Quantile(0.99)), report.Micros(f.WarmLatency.Max),
			queries(f.WarmQueries))
	}
	phase(w, rounds, "%d/%d received; p50 %s, p99 %s, max %s; %d connections dropped; server CPU %.2f s (%s deliveries per CPU-second)",
		f.Received, f.Expected, report.Micros(f.Latency.Quantile(0.5)), report.Micros(f.Latency.Quantile(0.99)), report.Micros(f.Latency.Max), f.Dropped,
		f.CPUSeconds, perCPUSecond(float64(f.Received), f.CPUSeconds))
	for _, s := range f.PerInstance {
		fmt.Fprintf(w, "      %s: %d/%d received; p50 %s, p99 %s, max %s\n", s.Name, s.Received, s.Expected,
			report.Micros(s.Latency.Quantile(0.5)), report.Micros(s.Latency.Quantile(0.99)), report.Micros(s.Latency.Max))
	}
}

// perCPUSecond is n per CPU-second, or a dash without CPU time.
func perCPUSecond(n, cpu float64) string {
	if cpu <= 0 {
		return "—"
	}
	return report.Count(n / cpu)
}

// queries writes mapping query counts per server, or nothing without any.
func queries(q []int) string {
	if len(q) == 0 {
		return ""
	}
	var parts []string
	for _, n := range q {
		parts = append(parts, fmt.Sprint(n))
	}
	return "; mapping queries " + strings.Join(parts, " + ")
}

func (r *Report) writePhases(w io.Writer) {
	fmt.Fprintln(w, "Phases")
	f, t, d := r.Fanout, r.Through, r.Drain
	for _, m := range []*Measured{&r.Server, singleMeasured(r.Single), r.Ref} {
		if m == nil {
			continue
		}
		second := "pre-auth, stays"
		if m == r.Ref {
			second = "the same logins, stays"
		}
		for _, c := range []struct {
			name string
			c    Connect
		}{{"connect storm 1 (Basic-checked, closed again)", m.Storm1}, {"connect storm 2 (" + second + ")", m.Storm2},
			{"top-up to N (Basic-checked)", m.TopUp}} {
			if c.c.Requested > 0 {
				phase(w, m.Name+", "+c.name, "%d/%d up in %.2f s = %s logins/s; login p50 %s, p99 %s, max %s%s", c.c.OK, c.c.Requested,
					c.c.Seconds, report.Count(c.c.Rate()), report.Micros(c.c.Latency.Quantile(0.5)), report.Micros(c.c.Latency.Quantile(0.99)), report.Micros(c.c.Latency.Max),
					report.Tally("; failures: ", c.c.Errors))
			}
		}
	}
	if r.CredentialChecks > 0 {
		phase(w, "credential checks", "%d logins confirmed by the fake Nextcloud (notify_push's Basic-checked logins: baseline, storm 1, top-up)",
			r.CredentialChecks)
	}
	if a := r.AppMetrics; a != nil {
		phase(w, "the app's metrics query (occ notify_push:metrics)", "active_connection_count %d (the servers held %d), events_received %d; "+
			"instance_count per server %v", a.Connections, a.Held, a.EventsReceived, a.InstanceCounts)
	}
	fanoutLine(w, "fan-out", f, true, true)
	for i, g := range r.InstanceFanout {
		fanoutLine(w, fmt.Sprintf("fan-out to %s's users alone, the others running", r.Instances[i].Name), g, false, true)
		if i < len(r.InstanceFanoutPaused) {
			fanoutLine(w, fmt.Sprintf("fan-out to %s's users alone, the others paused", r.Instances[i].Name), r.InstanceFanoutPaused[i], false, true)
		}
	}
	if s := r.Single; s != nil {
		fanoutLine(w, s.Measured.Name+", fan-out", s.Fanout, true, true)
		if first := s.GroupFanoutFirst; first != nil {
			fanoutLine(w, s.Measured.Name+", fan-out of its users alone, before the instances", *first, false, true)
		}
		fanoutLine(w, s.Measured.Name+", fan-out of its users alone", s.GroupFanout, false, true)
	}
	if rf := r.RefFanout; rf != nil {
		fanoutLine(w, "reference, fan-out (written by one goroutine per CPU, gorilla's WriteMessage)", *rf, false, false)
	}
	if t.Published > 0 {
		phase(w, "throughput, "+r.Params.Mix, "%d published at %s/s; the server counted %d (%s/s); %d delivered in %.2f s (%s/s), "+
			"%d lost, %d extra; latency (custom) p50 %s, p99 %s, max %s; %d connections dropped; server CPU %.2f s",
			t.Published, report.Count(t.PublishRate), t.Accepted, report.Count(t.AcceptRate), t.Received.Deliveries(), t.Seconds,
			report.Count(t.DeliveredRate()), t.Lost, t.Extra, report.Micros(t.Latency.Quantile(0.5)), report.Micros(t.Latency.Quantile(0.99)), report.Micros(t.Latency.Max), t.Dropped,
			t.CPUSeconds)
	}
	if d.Published > 0 {
		phase(w, "storage-update drain", "%d published at %s/s over %d cached storages; the server counted all: %v, at %s/s, "+
			"%.2f s after the last PUBLISH; lag at most %d events, subscriber output buffer at most %s (limit %s); "+
			"output-buffer disconnects %s, resubscribed %v; %d delivered, %d lost, latency p50 %s, p99 %s, max %s",
			d.Published, report.Count(d.PublishRate), d.Storages, d.Counted, report.Count(d.AcceptRate), d.Behind, d.MaxLag, report.Bytes(d.MaxOmem),
			report.Dash(r.Env.RedisBuffer), disconnects(d.Disconnects), d.Resubscribe, d.Received, d.Lost,
			report.Micros(d.Latency.Quantile(0.5)), report.Micros(d.Latency.Quantile(0.99)), report.Micros(d.Latency.Max))
	}
}

func singleMeasured(s *Single) *Measured {
	if s == nil {
		return nil
	}
	return &s.Measured
}

func (r *Report) writeRedisAndDatabase(w io.Writer) {
	c := r.Redis
	if len(c.Phases) > 0 {
		fmt.Fprintln(w)
		nodes := "the redis-server"
		if c.Nodes > 1 {
			nodes = fmt.Sprintf("the %d nodes, summed", c.Nodes)
		}
		fmt.Fprintf(w, "Redis, what it spent itself (INFO used_cpu_user + used_cpu_sys, used_memory, RSS; %s) with %d subscribed instance(s)\n",
			nodes, max(len(r.Instances), 1))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  phase\tlength\tCPU\tof a core\tpublished\tCPU per 1,000 published\tused_memory\tRSS")
		for _, p := range c.Phases {
			per := "—"
			if p.Published > 0 {
				per = fmt.Sprintf("%.2f ms", p.CPUSeconds*1000/float64(p.Published)*1000)
			}
			fmt.Fprintf(tw, "  %s\t%.1f s\t%.2f s\t%.1f %%\t%d\t%s\t%s\t%s\n", p.Name, p.Seconds, p.CPUSeconds, p.CPUPercent(), p.Published, per,
				report.MiB(p.UsedMemory), report.MiB(p.RSS))
		}
		tw.Flush()
	}
	d := r.Drain
	if len(d.WarmQueries) > 0 || len(r.Fanout.WarmQueries) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Database (mapping_query_count of each instance before and after)")
		if q := r.Fanout.WarmQueries; len(q) > 0 {
			fmt.Fprintf(w, "  first fan-out round, one storage not cached:       %s\n", strings.TrimPrefix(queries(q), "; mapping queries "))
		}
		if len(d.WarmQueries) > 0 {
			fmt.Fprintf(w, "  burst of one update on each of %d cold storages: %s (one per storage and instance: %d)\n", d.Storages,
				strings.TrimPrefix(queries(d.WarmQueries), "; mapping queries "), d.Storages*len(d.WarmQueries))
			fmt.Fprintf(w, "  drain of %d updates on those storages, cached:   %s\n", d.Published, strings.TrimPrefix(queries(d.Queries), "; mapping queries "))
		}
	}
}

// writeSizing derives what an admin sizes a deployment with from the
// figures above.
func (r *Report) writeSizing(w io.Writer) {
	pc, ok := r.Server.PerConn()
	if !ok || pc.RSS <= 0 {
		return
	}
	k := max(len(r.Instances), 1)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Sizing (derived from the figures above)")
	base := float64(r.Server.Baseline.Memory.RSS) / float64(k)
	fmt.Fprintf(w, "  memory: %s per idle connection → %s connections per GiB, plus %s per instance at rest\n",
		report.KiB(pc.RSS), report.Count(float64(1<<30)/pc.RSS), report.MiB(uint64(base)))
	if conns := r.Server.Loaded.Conns; conns > 0 && r.Server.CPUPercent > 0 {
		per10k := r.Server.CPUPercent / float64(conns) * 10_000
		fmt.Fprintf(w, "  CPU at rest: %.2f %% of a core per 10,000 idle connections, pings included (a core would carry %s idle ones:\n"+
			"  memory bounds an instance first)\n", per10k, report.Count(100/per10k*10_000))
	}
	if f := r.Fanout; f.Rounds > 0 && f.CPUSeconds > 0 {
		fmt.Fprintf(w, "  CPU in a fan-out: %s deliveries per CPU-second of the server(s) (%d users × %d rounds)\n",
			perCPUSecond(float64(f.Received), f.CPUSeconds), f.Users, f.Rounds)
	}
	if t := r.Through; t.Published > 0 && t.CPUSeconds > 0 {
		fmt.Fprintf(w, "  CPU under events: %s events/s in, %s deliveries/s out; %s deliveries per CPU-second of the server(s)\n",
			report.Count(t.AcceptRate), report.Count(t.DeliveredRate()), perCPUSecond(float64(t.Received.Deliveries()), t.CPUSeconds))
	}
	if p, ok := r.Redis.Phase("throughput"); ok && p.Published > 0 {
		fmt.Fprintf(w, "  Redis: %.1f %% of a core at %s events/s published to %d subscribed instance(s), %.1f %% at rest; %s used, %s RSS\n",
			p.CPUPercent(), report.Count(float64(p.Published)/p.Seconds), k, idlePercent(r.Redis), report.MiB(r.Redis.Loaded.UsedMemory),
			report.MiB(r.Redis.Loaded.RSS))
	}
	if d := r.Drain; len(d.WarmQueries) > 0 {
		fmt.Fprintf(w, "  database: every instance queries a storage's mounts once per cache lifetime (4–5 min): %d instance(s) → %d\n"+
			"  mapping queries for a storage changed after its rows expired, %d for a burst over %d cold storages\n",
			k, k, sum(d.WarmQueries), d.Storages)
	}
}

func sum(v []int) int {
	n := 0
	for _, x := range v {
		n += x
	}
	return n
}

func idlePercent(c RedisCost) float64 {
	if p, ok := c.Phase("idle"); ok {
		return p.CPUPercent()
	}
	return 0
}

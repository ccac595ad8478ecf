package run

import (
	"fmt"
	"strings"

	"github.com/notifypush/notify_push/internal/load/report"
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
	// The targets are one process's: with several instances, at each one's share.
	n := r.Server.Loaded.Conns
	if len(r.Instances) > 0 {
		n = 0
		for _, m := range r.Instances {
			n = max(n, m.Loaded.Conns)
		}
	}
	atN := at(n, targetIdleConns, "connections")
	if len(r.Instances) > 0 {
		atN = joinNotes(atN, fmt.Sprintf("per instance, %d of them: memory over all, CPU the busiest's", len(r.Instances)))
	}
	k := max(len(r.Instances), 1)
	mem := report.Target{Name: "memory at N idle connections", Measured: report.MiB(r.Server.Loaded.Memory.RSS) + " RSS", Result: "INFO", Note: atN}
	if k > 1 {
		mem.Measured += fmt.Sprintf(", %s each", report.MiB(r.Server.Loaded.Memory.RSS/uint64(k)))
	}
	if r.Ref != nil {
		// With several instances the reference holds one instance's share.
		mem.Ref = report.MiB(r.Ref.Loaded.Memory.RSS)
		mem.Ratio = report.Ratio(float64(r.Server.Loaded.Memory.RSS)/float64(k), float64(r.Ref.Loaded.Memory.RSS))
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
		busiest := r.Server.CPUPercent
		if len(r.Instances) > 0 {
			busiest = 0
			for _, m := range r.Instances {
				busiest = max(busiest, m.CPUPercent)
			}
		}
		cpu.Measured = fmt.Sprintf("%.2f %% over %.0f s", busiest, r.Server.IdleSeconds)
		cpu.Result = report.Verdict(busiest < targetCPUPercent)
		if r.Ref != nil {
			cpu.Ref = fmt.Sprintf("%.2f %%", r.Ref.CPUPercent)
			cpu.Ratio = report.Ratio(busiest, r.Ref.CPUPercent)
		}
	}
	ts = append(ts, cpu)

	f := r.Fanout
	lost := max(int64(f.Expected)-int64(f.Received), 0)
	// The latency itself depends on the machine (the same commit gave p99 80 ms
	// on one and 161 ms on another): it is judged as a ratio to the reference
	// server's with the same clients, next; here only that nothing is lost.
	fan := report.Target{Name: "fan-out: 0 lost (p99 judged against the reference, below)", Result: "N/A",
		Note: at(f.Users, targetFanoutUsers, "users")}
	if f.Rounds > 0 {
		fan.Measured = fmt.Sprintf("p99 %s, max %s, %d/%d lost", report.Micros(f.Latency.Quantile(0.99)), report.Micros(f.Latency.Max), lost, f.Expected)
		fan.Result = report.Verdict(f.Expected > 0 && lost == 0)
	}
	ts = append(ts, fan, r.fanoutAgainstReference())

	// Several instances on one machine: each reads every event, and logs
	// its share of the clients in, on the same CPUs.
	sharedCPUs := ""
	if k > 1 {
		sharedCPUs = fmt.Sprintf("%d instances on this machine's CPUs, each reading every event", k)
	}
	t := r.Through
	thr := report.Target{Name: "throughput ≥ 50,000 events/s, 0 lost", Result: "N/A", Note: sharedCPUs}
	if t.Published > 0 {
		thr.Measured = fmt.Sprintf("%s/s in, %s/s out, %d lost", report.Count(t.AcceptRate), report.Count(t.DeliveredRate()), t.Lost)
		switch {
		case k > 1:
			// The 50,000/s of issue 8 is one server's; here every instance
			// parses every event on the same cores, so only losses are judged.
			thr.Name = "throughput through the service, 0 lost"
			thr.Note = joinNotes(thr.Note, "the rate is shown, judged with one instance only")
			thr.Result = report.Verdict(t.Lost == 0)
		case r.Params.Rate < targetThroughput:
			thr.Note = joinNotes(thr.Note, fmt.Sprintf("offered only %s/s", report.Count(float64(r.Params.Rate))))
		default:
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
		if k > 1 {
			st.Note = joinNotes(st.Note, fmt.Sprintf("%d instances and the fake Nextcloud on this machine's CPUs; the reference took one instance's share", k))
		}
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
		Note: joinNotes(at(d.Storages, targetDrainStorages, "cached storages"), sharedCPUs)}
	if d.Published > 0 {
		dr.Measured = fmt.Sprintf("%s/s, %.2f s behind, %s disconnects", report.Count(d.AcceptRate), d.Behind, disconnects(d.Disconnects))
		dr.Result = report.Verdict(d.Counted && d.AcceptRate >= rateTolerance*targetDrainRate && d.Disconnects <= 0 && !d.Resubscribe)
		if r.Params.DrainRate < targetDrainRate {
			dr.Result = "N/A"
			dr.Note = joinNotes(dr.Note, fmt.Sprintf("offered only %s/s", report.Count(float64(r.Params.DrainRate))))
		}
	}
	ts = append(ts, dr, r.appMetricsTarget())
	if len(r.Instances) > 0 {
		ts = append(ts, r.instanceTargets()...)
	}
	return ts
}

// p99 is a fan-out's 99th percentile in microseconds, as a float.
func p99(f Fanout) float64 { return float64(f.Latency.Quantile(0.99)) }

// fanoutAgainstReference judges notify_push's fan-out by the reference's,
// measured with the same clients in the same run, so that the verdict
// travels between machines where a fixed figure does not. With several
// instances the reference holds one instance's clients, and is compared
// with one instance alone holding them, updating the storage they alone
// mount: the same deliveries from the same mapping (the shared storage's
// rows of users held elsewhere are work the reference does not do).
func (r *Report) fanoutAgainstReference() report.Target {
	t := report.Target{Name: fmt.Sprintf("fan-out: p99 ≤ %.1f× reference, same clients", targetFanoutRefRatio), Result: "N/A"}
	ours := r.Fanout
	if len(r.Instances) > 0 {
		if r.Single == nil {
			t.Note = "no instance alone was measured (--no-single)"
			return t
		}
		ours = r.Single.GroupFanout
		t.Note = "one instance alone: an update of the storage its clients alone mount"
	}
	if r.RefFanout == nil || r.RefFanout.Rounds == 0 || ours.Rounds == 0 {
		return t
	}
	ref := *r.RefFanout
	t.Measured = fmt.Sprintf("p50 %s, p99 %s", report.Micros(ours.Latency.Quantile(0.5)), report.Micros(ours.Latency.Quantile(0.99)))
	t.Ref = fmt.Sprintf("p50 %s, p99 %s", report.Micros(ref.Latency.Quantile(0.5)), report.Micros(ref.Latency.Quantile(0.99)))
	t.Ratio = report.Ratio(p99(ours), p99(ref))
	refLost := ref.Received < ref.Expected
	if refLost {
		t.Note = joinNotes(t.Note, fmt.Sprintf("the reference lost %d of %d", ref.Expected-ref.Received, ref.Expected))
	}
	t.Result = report.Verdict(!refLost && p99(ref) > 0 && p99(ours) <= targetFanoutRefRatio*p99(ref))
	return t
}

// appMetricsTarget: the app's metrics query is answered with the service's
// connections, every instance's summed, and every instance counts them all.
func (r *Report) appMetricsTarget() report.Target {
	t := report.Target{Name: "app's metrics query: the sum over instances", Result: "N/A"}
	a := r.AppMetrics
	if a == nil {
		return t
	}
	t.Measured = fmt.Sprintf("%d connections, instance_count %v", a.Connections, a.InstanceCounts)
	t.Ref = fmt.Sprintf("%d held", a.Held)
	ok := a.Connections == a.Held && a.Held == int64(r.Server.Loaded.Conns)
	for _, n := range a.InstanceCounts {
		ok = ok && n == max(len(r.Instances), 1)
	}
	t.Result = report.Verdict(ok)
	return t
}

// instanceTargets judge several instances: every connection up and counted
// where it is held, and the goal of issue 19, each instance's memory per
// connection and fan-out p99 within 1.2× of one instance alone holding the
// same share of the clients (for the fan-out: the same instance with the
// others paused).
func (r *Report) instanceTargets() []report.Target {
	k := len(r.Instances)
	up := report.Target{Name: fmt.Sprintf("connections: all up, over %d instances", k)}
	var held []string
	ok := r.Server.Loaded.Conns == r.Params.Conns
	for _, m := range r.Instances {
		held = append(held, fmt.Sprint(m.Loaded.Conns))
		ok = ok && m.Loaded.MetricsConns == float64(m.Loaded.Conns)
	}
	up.Measured = fmt.Sprintf("%d of %d (%s)", r.Server.Loaded.Conns, r.Params.Conns, strings.Join(held, " + "))
	up.Result = report.Verdict(ok)

	name := fmt.Sprintf(" ≤ %.1f× one instance alone", targetInstanceRatio)
	mem := report.Target{Name: "instances: RSS per connection" + name, Result: "N/A"}
	fan := r.pausedNeighboursTarget("instances: fan-out p99" + name)
	apart := report.Target{Name: "instances: fan-out p99 vs a separate instance alone", Result: "N/A",
		Note: "one instance alone run before the instances and after them, pooled: minutes apart, over which this VM's " +
			"speed drifts by up to 40 %, so shown, not judged"}
	all := report.Target{Name: "instances: fan-out p99, every instance at once, vs one alone", Result: "N/A",
		Note: "one update to every client: the instances share this machine's CPUs, so each writes as one of several"}
	if r.Single == nil {
		const none = "no instance alone was measured (--no-single)"
		mem.Note, apart.Note, all.Note = none, none, none
		return []report.Target{up, mem, fan, apart, all}
	}
	s := r.Single
	if alone, ok := s.Measured.PerConn(); ok {
		worst, name := 0.0, ""
		for _, m := range r.Instances {
			if pc, ok := m.PerConn(); ok && pc.RSS >= worst {
				worst, name = pc.RSS, m.Name
			}
		}
		mem.Measured = fmt.Sprintf("%s (%s)", report.KiB(worst), name)
		mem.Ref, mem.Ratio = report.KiB(alone.RSS), report.Ratio(worst, alone.RSS)
		mem.Result = report.Verdict(alone.RSS > 0 && worst <= targetInstanceRatio*alone.RSS)
	}
	var own []FanoutShare
	for i, f := range r.InstanceFanout {
		own = append(own, FanoutShare{Name: r.Instances[i].Name, Expected: f.Expected, Received: f.Received, Latency: f.Latency})
	}
	// Shown, not judged: the separate instance alone ran minutes away from
	// the instances, and every instance at once shares this machine's CPUs.
	for _, c := range []struct {
		t      *report.Target
		shares []FanoutShare
		single Fanout
	}{{&apart, own, s.AloneFanout()}, {&all, r.Fanout.PerInstance, s.Fanout}} {
		if len(c.shares) == 0 || c.single.Rounds == 0 {
			continue
		}
		var w FanoutShare
		lost := false
		for _, f := range c.shares {
			lost = lost || f.Received < f.Expected
			if f.Latency.Quantile(0.99) >= w.Latency.Quantile(0.99) {
				w = f
			}
		}
		c.t.Measured = fmt.Sprintf("p99 %s (%s)", report.Micros(w.Latency.Quantile(0.99)), w.Name)
		if lost {
			c.t.Measured += ", some lost"
		}
		c.t.Ref = "p99 " + report.Micros(c.single.Latency.Quantile(0.99))
		c.t.Ratio = report.Ratio(float64(w.Latency.Quantile(0.99)), p99(c.single))
		c.t.Result = "INFO"
	}
	return []report.Target{up, mem, fan, apart, all}
}

// pausedNeighboursTarget judges each instance's fan-out of its own clients'
// storage with the other instances running against the same with them
// paused, rounds interleaved in the same minutes: the worst instance's
// ratio must be within targetInstanceRatio, nothing lost in either.
func (r *Report) pausedNeighboursTarget(name string) report.Target {
	t := report.Target{Name: name, Result: "N/A",
		Note: fmt.Sprintf("each instance's update of a storage only its clients mount, the others running against the others "+
			"paused (SIGSTOP): blocks of %d rounds, the instances taking turns, each one's running, paused, paused, running, …: "+
			"the same clients, heap and minutes", instanceBlock)}
	if len(r.InstanceFanoutPaused) != len(r.InstanceFanout) || len(r.InstanceFanout) == 0 {
		return t
	}
	worst, lost, ok := -1.0, false, true
	for i, beside := range r.InstanceFanout {
		alone := r.InstanceFanoutPaused[i]
		if beside.Rounds == 0 || alone.Rounds == 0 || p99(alone) == 0 {
			return t
		}
		lost = lost || beside.Received < beside.Expected || alone.Received < alone.Expected
		ratio := p99(beside) / p99(alone)
		ok = ok && ratio <= targetInstanceRatio
		if ratio > worst {
			worst = ratio
			t.Measured = fmt.Sprintf("p99 %s (%s)", report.Micros(beside.Latency.Quantile(0.99)), r.Instances[i].Name)
			t.Ref = fmt.Sprintf("p99 %s, the others paused", report.Micros(alone.Latency.Quantile(0.99)))
			t.Ratio = report.Ratio(p99(beside), p99(alone))
		}
	}
	if lost {
		t.Measured += ", some lost"
	}
	t.Result = report.Verdict(ok && !lost)
	return t
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

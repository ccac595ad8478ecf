package soak

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/report"
)

// Report is everything one soak saw.
type Report struct {
	harness.RunInfo
	Params    options `json:"params"`
	Churners  int     `json:"churners"`
	Listeners int     `json:"listeners"`
	// Warmup is the round before the first idle figures.
	Warmup *RoundSummary `json:"warmup,omitempty"`
	Main   RoundSummary  `json:"soak"`
	// IdleStart and IdleEnd are the server without clients after a forced
	// GC: after the warm-up, and after the soak once every client is gone.
	IdleStart Snapshot `json:"idle_start"`
	IdleEnd   Snapshot `json:"idle_end"`
	// ZeroAfter is how long after the last client closed the server counted
	// no connection (-1: not within 30 s).
	ZeroAfter  float64            `json:"zero_after_s"`
	EndMetrics map[string]float64 `json:"end_metrics,omitempty"`
	ServerLog  ServerLog          `json:"server_log"`
	Problems   []string           `json:"problems,omitempty"`
}

// Growth is the idle server's change over the soak. The Net figures leave
// out the HTTP keep-alive pools (SoakSnapshot.pooled), which shrink and
// grow with the load and close by themselves.
type Growth struct {
	Goroutines    int64
	NetGoroutines int64
	FDs           int64
	NetFDs        int64
	Pooled        int64
	HeapBytes     float64 // live heap objects
	HeapObjs      int64
	RSS           float64
	Threads       int64
}

// Growth is the idle server's change from before the soak to after it.
func (r *Report) Growth() Growth {
	a, b := r.IdleStart, r.IdleEnd
	return Growth{
		Goroutines:    int64(b.Runtime.Goroutines) - int64(a.Runtime.Goroutines),
		NetGoroutines: b.netGoroutines() - a.netGoroutines(),
		FDs:           int64(b.FDs - a.FDs),
		NetFDs:        int64(b.FDs-b.pooled()) - int64(a.FDs-a.pooled()),
		Pooled:        int64(b.pooled() - a.pooled()),
		HeapBytes:     float64(b.Runtime.HeapObjectBytes) - float64(a.Runtime.HeapObjectBytes),
		HeapObjs:      int64(b.Runtime.HeapObjects) - int64(a.Runtime.HeapObjects),
		RSS:           float64(b.Memory.RSS) - float64(a.Memory.RSS),
		Threads:       int64(b.Memory.Threads - a.Memory.Threads),
	}
}

// logins is every successful login the clients saw, warm-up included.
func (r *Report) logins() int {
	n := r.Main.Clients.Sessions
	if r.Warmup != nil {
		n += r.Warmup.Clients.Sessions
	}
	return n
}

// Checks judges the soak.
func (r *Report) Checks() []report.Target {
	p := r.Params
	a := r.Main.Account
	c := r.Main.Clients
	g := r.Growth()
	measured := r.IdleEnd.Label != ""
	var ts []report.Target
	add := func(name, value string, ok bool) {
		ts = append(ts, report.Target{Name: name, Measured: value, Result: report.Verdict(ok)})
	}
	info := func(name, value string) {
		ts = append(ts, report.Target{Name: name, Measured: value, Result: "INFO"})
	}
	add("required deliveries lost", fmt.Sprintf("%s of %s", report.Count(float64(a.Total.Lost)), report.Count(float64(a.Total.Expected))),
		a.Total.Lost == 0 && a.Total.Expected > 0)
	add("duplicate deliveries", report.Count(float64(a.Total.Duplicates)), a.Total.Duplicates == 0)
	add("frames misdelivered, unattributable or unknown", fmt.Sprintf("%d, %d, %d", a.Misdelivered, a.Unattributed, c.Other),
		a.Misdelivered == 0 && a.Unattributed == 0 && c.Other == 0)
	add("file changes without ids to listening connections", report.Count(float64(a.FileWithoutIDs)), a.FileWithoutIDs == 0)
	n := a.NoticedTotal
	add("changes unnoticed (Redis accepted them; a connection got neither them nor a later frame of their slot)",
		fmt.Sprintf("%s of %s (%s covered by a later frame, %s of them by a resync)", report.Count(float64(n.Unnoticed)),
			report.Count(float64(n.Pairs)), report.Count(float64(n.Covered)), report.Count(float64(n.ByResync))),
		n.Unnoticed == 0 && n.Pairs > 0)
	if len(r.Main.Chaos) > 0 {
		var parts []string
		for _, e := range r.Main.Chaos {
			parts = append(parts, fmt.Sprintf("%s %d/%.0f", outageShort(e), e.Seen.FrameCount(), serverTold(e)))
		}
		info("resync messages the clients got / connections the server told, per outage", strings.Join(parts, ", "))
	}
	info(fmt.Sprintf("deliveries later than --window (%v)", p.Window), report.Count(float64(a.Total.Late)))
	add("connections the server dropped", fmt.Sprintf("%d%s", c.Drops, report.Tally(": ", c.DropReasons)), c.Drops == 0)
	add("logins refused", fmt.Sprintf("%d%s", report.Total(c.LoginFailures), report.Tally(": ", c.LoginFailures)), report.Total(c.LoginFailures) == 0)
	info(fmt.Sprintf("pre-auth logins that overtook their token (accepted %v later)", protocol.TokenRetryAfter), fmt.Sprint(c.TokenRetries))
	if measured {
		add(fmt.Sprintf("goroutines beyond keep-alive pools, idle after vs before (≤ +%d)", p.MaxGoroutineGrowth),
			fmt.Sprintf("%+d (%d → %d; all: %d → %d)", g.NetGoroutines, r.IdleStart.netGoroutines(), r.IdleEnd.netGoroutines(),
				r.IdleStart.Runtime.Goroutines, r.IdleEnd.Runtime.Goroutines), g.NetGoroutines <= int64(p.MaxGoroutineGrowth))
		add(fmt.Sprintf("open files beyond keep-alive pools, idle after vs before (≤ +%d)", p.MaxFDGrowth),
			fmt.Sprintf("%+d (%d → %d; all: %d → %d)", g.NetFDs, r.IdleStart.FDs-r.IdleStart.pooled(), r.IdleEnd.FDs-r.IdleEnd.pooled(),
				r.IdleStart.FDs, r.IdleEnd.FDs), g.NetFDs <= int64(p.MaxFDGrowth))
		add("client sockets left once every client is gone", fmt.Sprint(r.IdleEnd.Sockets[harness.SockClients]),
			r.IdleEnd.Sockets[harness.SockClients] == 0)
		add(fmt.Sprintf("live heap, idle after vs before (≤ +%g MiB)", p.MaxHeapGrowthMiB),
			fmt.Sprintf("%s (%s → %s; objects %+d)", report.SignedMiB(g.HeapBytes), report.MiB(r.IdleStart.Runtime.HeapObjectBytes),
				report.MiB(r.IdleEnd.Runtime.HeapObjectBytes), g.HeapObjs), g.HeapBytes <= p.MaxHeapGrowthMiB*(1<<20))
		add(fmt.Sprintf("RSS, idle after vs before (≤ +%g MiB)", p.MaxRSSGrowthMiB),
			fmt.Sprintf("%s (%s → %s)", report.SignedMiB(g.RSS), report.MiB(r.IdleStart.Memory.RSS), report.MiB(r.IdleEnd.Memory.RSS)),
			g.RSS <= p.MaxRSSGrowthMiB*(1<<20))
		active, users := r.EndMetrics["active_connection_count"], r.EndMetrics["active_user_count"]
		add("/metrics active_connection_count once every client is gone",
			fmt.Sprintf("%.0f (active_user_count %.0f), after %.2f s", active, users, r.ZeroAfter),
			r.ZeroAfter >= 0 && active == 0 && users == 0)
		total := r.EndMetrics["total_connection_count"]
		add("/metrics total_connection_count = logins the clients saw", fmt.Sprintf("%.0f = %d", total, r.logins()),
			int(total) == r.logins())
	}
	add("server alive, no panic", fmt.Sprintf("%d panics in its log", r.ServerLog.Panics), r.ServerLog.Panics == 0 && measured)
	add("run problems", fmt.Sprintf("%d", len(r.Problems)), len(r.Problems) == 0)
	return ts
}

// Failed reports whether a check failed.
func (r *Report) Failed() bool {
	for _, t := range r.Checks() {
		if t.Result == "FAIL" {
			return true
		}
	}
	return false
}

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) {
	p := r.Params
	m := r.Main
	fmt.Fprintf(w, "notify_push soak report — %s, %.0f s\n", r.Started.Format(time.RFC3339), r.Seconds)
	fmt.Fprintf(w, "machine: %s, %d CPUs, load average %s before / %s after; RLIMIT_NOFILE %d; %d client workers from %s\n",
		r.Env.GoVersion, r.Env.CPUs, r.Env.LoadBefore, r.Env.LoadAfter, r.Env.FileLimit, r.Env.Workers, report.Dash(r.Env.Sources))
	fmt.Fprintf(w, "run: %d connections of %d users (%d reconnecting every %v–%v, %d listening for file ids), soak %v after a %v warm-up\n",
		p.Conns, p.Users, r.Churners, p.HoldMin, p.HoldMax, r.Listeners, p.Duration, p.Warmup)
	fmt.Fprintf(w, "     events: %d/s offered (%s), the shared storage (mounted by %d users) every %v; DEBOUNCE_DISABLE, ping interval %v\n",
		p.Rate, p.Mix, p.SharedUsers, p.SharedEvery, p.PingInterval)
	fmt.Fprintf(w, "     Redis: %d× kill -9 (down %v each), %s; database: %s; resync spread %v\n",
		p.Restarts, p.Down, hangText(p.Hang), dbText(p), p.ResyncSpread)
	fmt.Fprintf(w, "     accounting: --window %v, --grace %v, --crash-guard %v\n", p.Window, p.Grace, p.CrashGuard)
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Checks")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range r.Checks() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.Name, report.Dash(t.Measured), t.Result)
	}
	tw.Flush()
	fmt.Fprintln(w)

	a := m.Account
	fmt.Fprintln(w, "Deliveries that had to arrive (event × connection open from --grace before publish to --window after Redis passed it on)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  kind\texpected\treceived\tlost\tmerged\tduplicates\tlate\tp50\tp99\tmax\tmax from publish\t")
	for _, k := range DeliveryKinds {
		d := a.Deliveries[k]
		if d == nil || d.Expected == 0 {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", k, report.Count(float64(d.Expected)), report.Count(float64(d.Received)), d.Lost,
			d.Merged, d.Duplicates, d.Late, report.Micros(d.Latency.Quantile(0.5)), report.Micros(d.Latency.Quantile(0.99)), report.Micros(d.Latency.Max), report.Micros(d.MaxFromPublish))
	}
	t := a.Total
	fmt.Fprintf(tw, "  total\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", report.Count(float64(t.Expected)), report.Count(float64(t.Received)), t.Lost,
		t.Merged, t.Duplicates, t.Late, report.Micros(t.Latency.Quantile(0.5)), report.Micros(t.Latency.Quantile(0.99)), report.Micros(t.Latency.Max), report.Micros(t.MaxFromPublish))
	tw.Flush()
	fmt.Fprintln(w, "  latency: from Redis's answer to the PUBLISH (when the server's subscription gets the message) to receipt;")
	fmt.Fprintln(w, "  from publish, the time a frozen Redis held an event adds to it. Late: more than --window after the answer.")
	fmt.Fprintln(w, "  merged: came inside a resync's notify_file (the server had one pending) to a connection that asked for ids.")
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Changes noticed (event Redis accepted, to nobody too, × connection it concerns, logged in --grace before it and open")
	fmt.Fprintln(w, "until it could have been covered: its window, or the resync window of an outage that may have cost it)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  kind\tpairs\treceived\tcovered\tby a resync\tunnoticed\texcused\t")
	noticedRow := func(k string, n Noticed) {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d\t%s\t\n", k, report.Count(float64(n.Pairs)), report.Count(float64(n.Received)),
			report.Count(float64(n.Covered)), report.Count(float64(n.ByResync)), n.Unnoticed, report.Count(float64(n.Excused)))
	}
	for _, k := range NoticedKinds {
		if n := a.Noticed[k]; n != nil && n.Pairs+n.Excused > 0 {
			noticedRow(k, *n)
		}
	}
	noticedRow("total", a.NoticedTotal)
	tw.Flush()
	fmt.Fprintln(w, "  covered: the change did not arrive, a later frame of its slot did (notify_file, notify_activity, notify_notification;")
	fmt.Fprintln(w, "  to a connection that asked for ids, only a plain notify_file), and the client re-checks. Custom messages are not")
	fmt.Fprintln(w, "  changes a client re-checks, and no resync covers them: they are accounted above only. excused: logged in less")
	fmt.Fprintln(w, "  than --grace before the change, or closed before it could have been covered (the client re-checks at its login).")
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Events published, by what Redis answered")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fates := []eventFate{fateDelivered, FateNobody, fateUnconfirmed, FateRefused}
	fmt.Fprint(tw, "  kind\t")
	for _, f := range fates {
		fmt.Fprintf(tw, "%s\t", f)
	}
	fmt.Fprintln(tw, "skipped (slot busy)\t")
	for _, k := range []events.EventKind{events.KindCustom, events.KindActivity, events.KindNotification, events.KindHome, events.KindShared} {
		if a.Fates[k] == nil && m.Skipped[k] == 0 {
			continue
		}
		fmt.Fprintf(tw, "  %s\t", k)
		for _, f := range fates {
			fmt.Fprintf(tw, "%d\t", a.Fates[k][f.String()])
		}
		fmt.Fprintf(tw, "%d\t\n", m.Skipped[k])
	}
	tw.Flush()
	fmt.Fprintln(w, "  delivered: PUBLISH answered ≥ 1, the server's subscription had it. nobody subscribed: answered 0, Redis had just")
	fmt.Fprintln(w, "  restarted and the server was not subscribed yet. unconfirmed: the connection died before the answer (kill -9).")
	fmt.Fprintln(w, "  refused: Redis accepted no connection. Only delivered events are required; Redis pub/sub buffers nothing.")
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Excused pairs (event × connection, not required)")
	fmt.Fprintf(w, "  %-68s %9s %9s %20s\n", "", "pairs", "arrived", "otherwise required")
	for _, e := range []struct{ key, what string }{
		{ExcuseFresh, fmt.Sprintf("connection logged in less than --grace (%v) before the event", p.Grace)},
		{ExcuseClosing, fmt.Sprintf("connection closed or dropped within --window (%v) of Redis's answer", p.Window)},
		{excuseUnconfirmed, "event unconfirmed: Redis killed before it answered"},
		{excuseCrash, fmt.Sprintf("event answered less than --crash-guard (%v) before a kill -9", p.CrashGuard)},
		{ExcuseUnmapped, "home update while the mapping tables were away, storage not cached"},
	} {
		x := a.Excused[e.key]
		if x == nil {
			continue
		}
		other := ""
		if e.key == excuseUnconfirmed || e.key == excuseCrash {
			other = fmt.Sprintf("%d, %d arrived", x.Otherwise, x.OtherwiseArrived)
		}
		fmt.Fprintf(w, "  %-68s %9s %9s %20s\n", e.what, report.Count(float64(x.Pairs)), report.Count(float64(x.Arrived)), other)
	}
	fmt.Fprintf(w, "  events answered in the crash guard: %d\n", a.CrashEvents)
	fmt.Fprintln(w)

	c := m.Clients
	fmt.Fprintln(w, "Clients (the soak round)")
	fmt.Fprintf(w, "  %d sessions: %d by password, %d by pre-auth token; %d pre-auth turns fell back to the password (token not\n"+
		"  publishable: Redis down or nobody subscribed); %d pre-auth logins were refused although Redis had passed the token\n"+
		"  on, and accepted with the same token %v later (the login overtook the token in the server's event stream);\n"+
		"  %d login failures%s\n", c.Sessions, c.PasswordLogins, c.PreAuthLogins, c.TokenFallbacks, c.TokenRetries, protocol.TokenRetryAfter,
		report.Total(c.LoginFailures), report.Tally(": ", c.LoginFailures))
	fmt.Fprintf(w, "  %d dropped by the server%s; %s frames received, %d unknown%s; %d pings answered\n", c.Drops,
		report.Tally(": ", c.DropReasons), report.Count(float64(c.Receipts)), c.Other, sampleText(c.OtherSample), c.Pings)
	if r.Warmup != nil {
		wa := r.Warmup.Account
		fmt.Fprintf(w, "  warm-up: %d events, %d sessions, %d deliveries required, %d lost, %d duplicates\n", r.Warmup.Events,
			r.Warmup.Sessions, wa.Total.Expected, wa.Total.Lost, wa.Total.Duplicates)
	}
	fmt.Fprintln(w)

	if len(m.Chaos) > 0 {
		fmt.Fprintln(w, "Outages and their resyncs (seconds into the soak)")
		for _, e := range m.Chaos {
			back := "no event reached the server after it"
			if e.Back >= 0 {
				back = fmt.Sprintf("events reached the server again %.2f s after", e.Back)
			}
			fmt.Fprintf(w, "  %6.1f – %6.1f  %s; %s\n", e.At, e.Until, e.What, back)
			fmt.Fprintf(w, "                   resync window to %.1f s: the clients got %s in %d sessions, covering %s changes;\n",
				e.ResyncUntil, framesText(e.Seen), e.Seen.Sessions, report.Count(float64(e.Seen.Covered)))
			fmt.Fprintf(w, "                   the server counted %s\n", serverText(e))
		}
		fmt.Fprintln(w, "  resync messages: frames without ids that no event explains, within the window of an outage. The server's")
		fmt.Fprintln(w, "  counts run from the outage's start to the next one's; a connection told may close before its moment.")
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "Server over time")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  \tat\tconnections\tRSS\theap\theap objects\tgoroutines\tthreads\topen files\tclients\tRedis\tNextcloud\tother sockets\t")
	row := func(s Snapshot) {
		label := s.Label
		if s.GC {
			label += " (GC)"
		}
		rest := s.socketCount() - s.Sockets[harness.SockClients] - s.Sockets[harness.SockRedis] - s.Sockets[harness.SockNextcloud]
		fmt.Fprintf(tw, "  %s\t%.0f s\t%.0f\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", label, s.At, s.Conns, report.MiB(s.Memory.RSS),
			report.MiB(s.Runtime.HeapObjectBytes), s.Runtime.HeapObjects, s.Runtime.Goroutines, s.Memory.Threads, s.FDs,
			s.Sockets[harness.SockClients], s.Sockets[harness.SockRedis], s.Sockets[harness.SockNextcloud], rest)
	}
	row(r.IdleStart)
	if m.LoadedStart != nil {
		row(*m.LoadedStart)
	}
	for _, s := range m.Samples {
		row(s)
	}
	if r.IdleEnd.Label != "" {
		row(r.IdleEnd)
	}
	tw.Flush()
	if r.IdleEnd.Label != "" {
		g := r.Growth()
		fmt.Fprintf(w, "  growth, idle after vs before: goroutines %+d (%+d beyond keep-alive pools), open files %+d (%+d beyond them;\n"+
			"  the pools %+d sockets), heap %s (%+d objects), RSS %s, threads %+d\n", g.Goroutines, g.NetGoroutines, g.FDs, g.NetFDs,
			g.Pooled, report.SignedMiB(g.HeapBytes), g.HeapObjs, report.SignedMiB(g.RSS), g.Threads)
		fmt.Fprintf(w, "  sockets idle before: %s; after: %s\n", socketsText(r.IdleStart.Sockets), socketsText(r.IdleEnd.Sockets))
	}
	if len(r.EndMetrics) > 0 {
		var parts []string
		for _, k := range endMetrics {
			if v, ok := r.EndMetrics[k]; ok {
				parts = append(parts, fmt.Sprintf("%s %.0f", k, v))
			}
		}
		fmt.Fprintf(w, "  /metrics at the end: %s\n", strings.Join(parts, ", "))
	}
	l := r.ServerLog
	fmt.Fprintf(w, "  server log: %d warnings, %d errors, %d panics", l.Warnings, l.Errors, l.Panics)
	if top := l.topMessages(5); len(top) > 0 {
		fmt.Fprintf(w, "; most frequent:\n")
		for _, t := range top {
			fmt.Fprintf(w, "    %s\n", t)
		}
	} else {
		fmt.Fprintln(w)
	}

	samples := func(title string, list []string) {
		if len(list) == 0 {
			return
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, title)
		for _, s := range list {
			fmt.Fprintf(w, "  - %s\n", s)
		}
	}
	samples("Lost (first few; times in seconds into the soak)", a.LostSamples)
	samples("Duplicates (first few)", a.DuplicateSamples)
	samples("Misdelivered or unattributable (first few)", a.OtherSamples)
	samples("Unnoticed (first few)", a.UnnoticedSamples)
	samples("Problems", r.Problems)
}

func dbText(p options) string {
	if !p.DBOutage {
		return "no outage"
	}
	return fmt.Sprintf("1× mapping tables away for %v (%d users' homes left uncached for it)", p.DBDown, p.coldUsers())
}

// outageShort names an outage in a few words.
func outageShort(e ChaosEntry) string {
	switch {
	case e.Database:
		return "database"
	case strings.HasPrefix(e.What, "kill"):
		return "kill"
	}
	return "freeze"
}

// serverTold is every connection the server told to re-check for e.
func serverTold(e ChaosEntry) float64 {
	var n float64
	for _, v := range e.ServerClients {
		n += v
	}
	return n
}

func framesText(r ResyncSeen) string {
	if r.FrameCount() == 0 {
		return "no resync message"
	}
	var parts []string
	for _, t := range []string{domain.TextNotifyFile, domain.TextNotifyActivity, domain.TextNotifyNotification} {
		if r.Frames[t] > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", report.Count(float64(r.Frames[t])), t))
		}
	}
	return strings.Join(parts, ", ")
}

func serverText(e ChaosEntry) string {
	if e.ServerResyncs == nil {
		return "nothing (no scrape)"
	}
	var parts []string
	for _, reason := range resyncReasons {
		if e.ServerResyncs[reason] > 0 || e.ServerClients[reason] > 0 {
			parts = append(parts, fmt.Sprintf("%.0f %s resync(s) telling %.0f connections", e.ServerResyncs[reason], reason,
				e.ServerClients[reason]))
		}
	}
	if len(parts) == 0 {
		return "no resync"
	}
	return strings.Join(parts, ", ")
}

func hangText(h time.Duration) string {
	if h <= 0 {
		return "no hang"
	}
	return fmt.Sprintf("1× SIGSTOP for %v then SIGCONT", h)
}

func sampleText(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" (e.g. %q)", s)
}

// JSON is the report as --json writes it: with its verdicts.
func (r *Report) JSON() any {
	return struct {
		*Report
		Checks []report.Target `json:"checks"`
	}{r, r.Checks()}
}

package hostile

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/report"
)

// Report is a hostile run: the victims in both phases, what the attacker
// saw, what the server counted, and the verdict.
type Report struct {
	harness.RunInfo
	Params       options         `json:"params"`
	Victims      int             `json:"victims"`
	Without      Phase           `json:"without_attack"`
	Under        Phase           `json:"under_attack"`
	Rounds       []Round         `json:"rounds"`
	AttackSource string          `json:"attack_source"`
	Attack       AttackFigures   `json:"attack"`
	Server       ServerFigures   `json:"server"`
	Problems     []string        `json:"problems,omitempty"`
	Targets      []report.Target `json:"targets"`
}

// ServerFigures are the server's own counters after the attack.
type ServerFigures struct {
	FloodingCloses float64 `json:"abusive_client_disconnects"`
	TooManyLogins  float64 `json:"too_many_logins_refusals"`
	Timeouts       float64 `json:"authentication_timeouts"`
	Connections    float64 `json:"active_connections"`
}

var _ harness.Outcome = (*Report)(nil)

// targets are the goals of issue 16: no victim disconnected, every
// legitimate login served, the p99 under attack within the ratio.
func (r *Report) targets() []report.Target {
	without, under := r.Without.Latency.Quantile(0.99), r.Under.Latency.Quantile(0.99)
	ratio := "-"
	if without > 0 {
		ratio = fmt.Sprintf("%.2f×", float64(under)/float64(without))
	}
	return []report.Target{
		{Name: "victims disconnected under attack", Measured: fmt.Sprint(r.Under.Disconnects),
			Ref: fmt.Sprintf("%d without", r.Without.Disconnects), Ratio: "-", Result: report.Verdict(r.Under.Disconnects == 0)},
		{Name: "events delivered under attack", Measured: fmt.Sprintf("%d/%d", r.Under.Received, r.Under.Published),
			Ref: fmt.Sprintf("%d/%d without", r.Without.Received, r.Without.Published), Ratio: "-",
			Result: report.Verdict(r.Under.Received == r.Under.Published)},
		{Name: "victims' delivery p99 under attack", Measured: report.Micros(under), Ref: report.Micros(without) + " without",
			Ratio: ratio, Result: report.Verdict(float64(under) <= r.Params.MaxP99Ratio*float64(without))},
		{Name: "legitimate logins under attack", Measured: fmt.Sprintf("%d ok, %d failed", r.Under.Logins.OK, r.Under.Logins.Failed),
			Ref: fmt.Sprintf("%d ok, %d failed without", r.Without.Logins.OK, r.Without.Logins.Failed), Ratio: "-",
			Result: report.Verdict(r.Under.Logins.Failed == 0 && r.Under.Logins.OK > 0)},
		{Name: "flooding client closed with 1008", Measured: fmt.Sprintf("%d of %d flood logins", r.Attack.FloodClosed1008, r.Attack.FloodLogins),
			Ref: "-", Ratio: "-", Result: report.Verdict(r.Attack.FloodLogins > 0 && r.Attack.FloodClosed1008 > 0)},
	}
}

// Failed reports whether a target failed.
func (r *Report) Failed() bool {
	for _, t := range r.Targets {
		if t.Result == "FAIL" {
			return true
		}
	}
	return false
}

// JSON is the report itself.
func (r *Report) JSON() any { return r }

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) {
	p := r.Params
	fmt.Fprintf(w, "Hostile clients: %d victims, custom events at %d/s for %v per phase, %d rounds, pings every %v\n",
		r.Victims, p.Rate, p.Duration, p.Rounds, p.PingInterval)
	sched := "SCHED_IDLE"
	if !p.AttackerIdle {
		sched = "normal priority"
	}
	fmt.Fprintf(w, "attack from %s: one client flooding empty pings, %d silent sockets/s, %d wrong-password logins in flight (answered after %v); attacker process at %s\n\n",
		r.AttackSource, p.IdleRate, p.Guessers, p.WrongDelay, sched)
	fmt.Fprintf(w, "%-28s %-24s %s\n", "", "without attack", "under attack")
	row := func(name string, f func(Phase) string) {
		fmt.Fprintf(w, "%-28s %-24s %s\n", name, f(r.Without), f(r.Under))
	}
	row("events delivered", func(ph Phase) string { return fmt.Sprintf("%d/%d", ph.Received, ph.Published) })
	row("latency p50", func(ph Phase) string { return report.Micros(ph.Latency.Quantile(0.5)) })
	row("latency p99", func(ph Phase) string { return report.Micros(ph.Latency.Quantile(0.99)) })
	for i, rd := range r.Rounds {
		fmt.Fprintf(w, "%-28s %-24s %s\n", fmt.Sprintf("  p99 of round %d", i+1), report.Micros(rd.WithoutP99), report.Micros(rd.UnderP99))
	}
	row("latency max", func(ph Phase) string { return report.Micros(ph.Latency.Max) })
	row("victims disconnected", func(ph Phase) string { return fmt.Sprintf("%d%s", ph.Disconnects, reasons(ph.DropReasons)) })
	row("legitimate logins ok/failed", func(ph Phase) string {
		return fmt.Sprintf("%d/%d%s", ph.Logins.OK, ph.Logins.Failed, reasons(ph.Logins.Why))
	})
	a := r.Attack
	fmt.Fprintf(w, "\nattacker: %d flood logins, %d closed (%d with 1008), %d MiB of pings written\n",
		a.FloodLogins, a.FloodClosed, a.FloodClosed1008, a.FloodMiB)
	fmt.Fprintf(w, "          silent sockets: %d upgraded (%d ended by the server), %d refused with 503, %d failed\n",
		a.IdleUpgraded, a.IdleEnded, a.IdleRefused503, a.IdleFailed)
	fmt.Fprintf(w, "          wrong passwords: %d answered invalid, %d refused as too many, %d refused with 503, %d other\n",
		a.GuessInvalid, a.GuessTooMany, a.GuessRefused503, a.GuessOther)
	s := r.Server
	fmt.Fprintf(w, "server:   %.0f abusive-client closes, %.0f too-many-logins refusals, %.0f authentication timeouts, %.0f connections at the end\n",
		s.FloodingCloses, s.TooManyLogins, s.Timeouts, s.Connections)
	for _, pr := range r.Problems {
		fmt.Fprintf(w, "problem: %s\n", pr)
	}
	fmt.Fprintln(w, "\nTargets")
	for _, t := range r.Targets {
		fmt.Fprintf(w, "  %-4s %-36s %-26s (%s; %s)\n", t.Result, t.Name, t.Measured, t.Ref, t.Ratio)
	}
}

// reasons writes counts by reason as " (a 3, b 1)", or "" for none.
func reasons(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", report.Truncate(k, 40), m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

package soak

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/world"
)

// resyncMetric is the key of a resync counter in a scrape.
func resyncMetric(name, reason string) string { return name + `{reason="` + reason + `"}` }

// ChaosEntry is one outage.
type ChaosEntry struct {
	What string `json:"what"`
	// Database: the mapping tables were away; otherwise Redis was down or
	// frozen.
	Database bool `json:"database,omitempty"`
	// At and Until (seconds into the run) bound the outage: killed until
	// accepting again, stopped until continued, tables away until back.
	At    float64 `json:"at_s"`
	Until float64 `json:"until_s"`
	// Back is how long after Until the first event reached a subscriber
	// again (Redis answered ≥ 1): the server's resubscription, at the
	// resolution of the event rate; -1 when none did.
	Back float64 `json:"back_s"`
	// ResyncUntil (seconds into the run) closes the outage's resync window:
	// the server back (see outageWindow), its spread, the debounce and the
	// window.
	ResyncUntil float64 `json:"resync_until_s"`
	// ServerResyncs and ServerClients are what the server's
	// resync_count_total and resync_client_count_total gained, by reason,
	// from this outage's start to the next one's (or the round's end).
	ServerResyncs map[string]float64 `json:"server_resyncs"`
	ServerClients map[string]float64 `json:"server_clients_told"`
	// Seen is what the clients received of the resync.
	Seen ResyncSeen `json:"seen"`

	// counters is the server's resync counters when the outage began.
	counters map[string]float64
}

// outageWindow is e as the accounting sees it, in µs.
func (r *runner) outageWindow(e ChaosEntry, start time.Time) outage {
	us := func(sec float64) int64 { return start.UnixMicro() + int64(sec*1e6) }
	o := outage{Database: e.Database, At: us(e.At), Until: us(e.Until)}
	back := int64(redisBackUnknown / time.Microsecond)
	switch {
	case e.Database:
		back = int64(databaseBack / time.Microsecond)
	case e.Back >= 0:
		back = int64(e.Back*1e6) + int64(redisBackMargin/time.Microsecond)
	}
	o.RecoveredBy = o.Until + back
	o.ResyncTo = o.RecoveredBy + int64((r.o.ResyncSpread+resyncDebounce+r.o.Window)/time.Microsecond)
	return o
}

// resyncCounters reads the server's resync counters; a failed scrape is a
// problem of the run, and reads as nil.
func (r *runner) resyncCounters(ctx context.Context) map[string]float64 {
	m, err := r.srv.Scrape(ctx)
	if err != nil {
		r.Problem("scrape the resync counters: %v", err)
		return nil
	}
	out := map[string]float64{}
	for _, name := range []string{"resync_count_total", "resync_client_count_total"} {
		for _, reason := range resyncReasons {
			k := resyncMetric(name, reason)
			out[k] = m[k]
		}
	}
	return out
}

// resyncGains sets e's server counts: what the counters gained from
// before to after.
func (e *ChaosEntry) resyncGains(before, after map[string]float64) {
	if before == nil || after == nil {
		return
	}
	e.ServerResyncs, e.ServerClients = map[string]float64{}, map[string]float64{}
	for _, reason := range resyncReasons {
		e.ServerResyncs[reason] = after[resyncMetric("resync_count_total", reason)] - before[resyncMetric("resync_count_total", reason)]
		e.ServerClients[reason] = after[resyncMetric("resync_client_count_total", reason)] -
			before[resyncMetric("resync_client_count_total", reason)]
	}
}

// chaos makes the outages at even steps through the run: the kills, with
// the hang second to last and the database's in the middle. The server's
// resync counters are read as each begins.
func (r *runner) chaos(ctx context.Context, start time.Time, d time.Duration, gen *generator) ([]ChaosEntry, []int64, error) {
	o := r.o
	var actions []string
	for range o.Restarts {
		actions = append(actions, "kill")
	}
	if o.Hang > 0 {
		at := max(len(actions)-1, 0)
		actions = append(actions[:at], append([]string{"hang"}, actions[at:]...)...)
	}
	if o.DBOutage {
		at := len(actions) / 2
		actions = append(actions[:at], append([]string{"db"}, actions[at:]...)...)
	}
	var log []ChaosEntry
	var kills []int64
	step := d / time.Duration(len(actions)+1)
	for i, a := range actions {
		if !sleepCtx(ctx, time.Until(start.Add(step*time.Duration(i+1)))) {
			return log, kills, nil
		}
		counters := r.resyncCounters(ctx)
		t := time.Now()
		e := ChaosEntry{At: t.Sub(start).Seconds(), counters: counters}
		switch a {
		case "kill":
			kills = append(kills, t.UnixMicro())
			r.redis.Kill()
			r.Logf("chaos: Redis killed (SIGKILL); down for %v", o.Down)
			if !sleepCtx(ctx, o.Down) {
				return log, kills, nil
			}
			if err := r.redis.Start(); err != nil {
				return log, kills, fmt.Errorf("start Redis again: %w", err)
			}
			e.What = "kill -9, started again"
			r.Logf("chaos: Redis started again on %s", r.redis.Addr)
		case "hang":
			if err := r.redis.Signal(syscall.SIGSTOP); err != nil {
				return log, kills, err
			}
			r.Logf("chaos: Redis stopped (SIGSTOP) for %v", o.Hang)
			sleepCtx(ctx, o.Hang) // continue it even when the run is cut short
			if err := r.redis.Signal(syscall.SIGCONT); err != nil {
				return log, kills, err
			}
			e.What = "SIGSTOP, then SIGCONT"
			r.Logf("chaos: Redis continued (SIGCONT)")
		case "db":
			if err := world.TakeMappingTablesAway(ctx, r.DatabasePath()); err != nil {
				return log, kills, fmt.Errorf("database outage: %w", err)
			}
			gen.setDatabaseOut(true)
			r.Logf("chaos: mapping tables renamed away for %v", o.DBDown)
			sleepCtx(ctx, o.DBDown) // bring them back even when the run is cut short
			// The last cold updates reach the server before the tables
			// are back, so that they fail to map.
			gen.setDatabaseOut(false)
			time.Sleep(100 * time.Millisecond)
			if err := world.BringMappingTablesBack(context.WithoutCancel(ctx), r.DatabasePath()); err != nil {
				return log, kills, fmt.Errorf("end the database outage: %w", err)
			}
			e.What, e.Database = "mapping tables renamed away, then back", true
			// On a real install some storage the server has not mapped yet
			// changes soon: its query tells the server that the database
			// answers again (else its probe does, within 5 s).
			wake := events.AppendStorageUpdate(nil, world.UnmountedStorage, "files/soak/wake.txt", 0)
			if err := r.Redis.Publish(ctx, domain.ChannelStorageUpdate, wake).Err(); err != nil {
				r.Problem("publish an update of a storage nobody mounts after the database outage: %v", err)
			}
			r.Logf("chaos: mapping tables back; an update of an unmapped storage published")
		}
		e.Until = time.Since(start).Seconds()
		log = append(log, e)
	}
	return log, kills, nil
}

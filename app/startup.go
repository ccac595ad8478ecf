package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/notifypush/notify_push/domain"
)

// Dependency is one system the server needs (the database, Redis, Nextcloud),
// with a probe that answers nil once it can be used.
type Dependency struct {
	Name  string
	Probe func(ctx context.Context) error
}

// Dependencies are what one deployment shape waits for at start.
type Dependencies []Dependency

// StartupTiming paces the supervisor; the zero value is DefaultStartupTiming.
type StartupTiming struct {
	// FirstRetry is the pause after a dependency's first failed probe; it
	// doubles after each further failure, up to MaxRetry.
	FirstRetry, MaxRetry time.Duration
	// ProbeTimeout bounds one probe.
	ProbeTimeout time.Duration
	// WarnAfter is how long a dependency may be missing before it is warned
	// about: on a normal start the subscription follows the first probe by
	// a few milliseconds, which is not worth a warning.
	WarnAfter time.Duration
	// LogEvery spaces the warnings about one missing dependency.
	LogEvery time.Duration
}

// DefaultStartupTiming retries quickly (a dependency that comes back is seen
// within 5 s; the subscription, which usually follows the first probe by a
// few milliseconds, within 100 ms) and warns about a dependency missing for
// 2 s, then once a minute.
var DefaultStartupTiming = StartupTiming{
	FirstRetry: 100 * time.Millisecond, MaxRetry: 5 * time.Second,
	ProbeTimeout: 15 * time.Second, WarnAfter: 2 * time.Second, LogEvery: time.Minute,
}

// Startup supervises a start without every dependency: it probes each missing
// one with backoff until all have answered once, and until then refuses logins
// with a domain.StartingError naming what is missing. A client that is refused
// keeps polling Nextcloud, which is right while the server could not deliver
// its changes. Once ready it stays ready: later outages are handled by each
// adapter's own retries and shown by /health.
type Startup struct {
	deps   Dependencies
	timing StartupTiming
	log    *slog.Logger

	ready chan struct{}
	mu    sync.Mutex
	last  map[string]error // last probe result per dependency; absent before the first
}

// NewStartup supervises deps; with none it is ready at once. Names must be
// unique and every probe set.
func NewStartup(deps Dependencies, log *slog.Logger) (*Startup, error) {
	return NewStartupWith(deps, StartupTiming{}, log)
}

// NewStartupWith is NewStartup with other timing (tests).
func NewStartupWith(deps Dependencies, timing StartupTiming, log *slog.Logger) (*Startup, error) {
	seen := make(map[string]bool, len(deps))
	for _, d := range deps {
		if d.Name == "" || d.Probe == nil || seen[d.Name] {
			return nil, fmt.Errorf("startup dependency %q: a unique name and a probe are required", d.Name)
		}
		seen[d.Name] = true
	}
	if timing == (StartupTiming{}) {
		timing = DefaultStartupTiming
	}
	if timing.FirstRetry <= 0 || timing.MaxRetry < timing.FirstRetry || timing.ProbeTimeout <= 0 || timing.LogEvery <= 0 ||
		timing.WarnAfter < 0 {
		return nil, fmt.Errorf("startup timing %+v: durations must be positive (WarnAfter may be 0), MaxRetry at least FirstRetry", timing)
	}
	s := &Startup{deps: deps, timing: timing, log: log, ready: make(chan struct{}), last: make(map[string]error)}
	if len(deps) == 0 {
		close(s.ready)
	}
	return s, nil
}

// Ready is closed once every dependency has answered.
func (s *Startup) Ready() <-chan struct{} { return s.ready }

// Refusal is nil once the server is ready; before, it is a
// *domain.StartingError naming each dependency still missing.
func (s *Startup) Refusal() error {
	select {
	case <-s.ready:
		return nil
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var waiting []string
	for _, d := range s.deps {
		err, probed := s.last[d.Name]
		switch {
		case !probed:
			waiting = append(waiting, d.Name+" not checked yet")
		case err != nil:
			waiting = append(waiting, d.Name+" unreachable")
		}
	}
	return &domain.StartingError{Waiting: waiting}
}

// Run probes every dependency until each has answered once, then reports the
// server ready and returns nil; it returns early, also nil, when ctx ends.
func (s *Startup) Run(ctx context.Context) error {
	if len(s.deps) == 0 {
		return nil
	}
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	warned := false
	for _, d := range s.deps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.await(ctx, d, start) {
				mu.Lock()
				warned = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	close(s.ready)
	took := time.Since(start).Round(time.Millisecond)
	if warned {
		// The warnings before said logins are refused: say they are not any more.
		s.log.Warn("every dependency answers: accepting logins", "after", took)
	} else {
		s.log.Info("every dependency answers", "after", took)
	}
	return nil
}

// await probes d until it answers or ctx ends, and reports whether it
// warned about d.
func (s *Startup) await(ctx context.Context, d Dependency, start time.Time) (warned bool) {
	delay := s.timing.FirstRetry
	var lastLog time.Time
	for {
		pctx, cancel := context.WithTimeout(ctx, s.timing.ProbeTimeout)
		err := d.Probe(pctx)
		cancel()
		if ctx.Err() != nil {
			return warned
		}
		s.mu.Lock()
		s.last[d.Name] = err
		s.mu.Unlock()
		missing := time.Since(start)
		if err == nil {
			if warned {
				s.log.Warn(d.Name+" answers", "dependency", d.Name, "after", missing.Round(time.Millisecond))
			} else {
				s.log.Debug(d.Name+" answers", "dependency", d.Name, "after", missing.Round(time.Millisecond))
			}
			return warned
		}
		now := time.Now()
		switch {
		case missing < s.timing.WarnAfter:
			s.log.Debug("waiting for "+d.Name, "dependency", d.Name, "err", err)
		case lastLog.IsZero() || now.Sub(lastLog) >= s.timing.LogEvery:
			lastLog, warned = now, true
			s.log.Warn("waiting for "+d.Name+"; logins are refused until it answers (logged once a minute)",
				"dependency", d.Name, "err", err, "waiting", missing.Round(time.Second))
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return warned
		case <-t.C:
		}
		delay = min(2*delay, s.timing.MaxRetry)
	}
}

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
	// Live marks a probe that only reads local state (the subscription's
	// flag): a login may call it, so that it is not refused for the few
	// milliseconds between two probes.
	Live bool
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

	ready    chan struct{} // closed once every dependency answered
	openOnce sync.Once
	started  time.Time

	mu     sync.Mutex
	last   map[string]error // last probe result per dependency; absent before the first
	up     map[string]bool  // answered once
	warned bool             // a dependency was warned about
}

// readyWait bounds how long a login waits for the server to become ready,
// so that a client arriving as the server starts is not refused for nothing.
const readyWait = 3 * time.Second

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
	s := &Startup{deps: deps, timing: timing, log: log, ready: make(chan struct{}),
		started: time.Now(), last: make(map[string]error), up: make(map[string]bool)}
	if len(deps) == 0 {
		close(s.ready)
	}
	return s, nil
}

// Ready is closed once every dependency has answered.
func (s *Startup) Ready() <-chan struct{} { return s.ready }

// Refusal is nil once the server is ready; before, it is a
// *domain.StartingError naming each dependency still missing. A login that
// comes before the server is ready waits for it (within ctx and 3 s),
// looking at live dependencies afresh every few milliseconds: on a normal
// start the subscription follows the first probes by milliseconds, and a
// client should not be refused for that.
func (s *Startup) Refusal(ctx context.Context) error {
	select {
	case <-s.ready:
		return nil
	default:
	}
	wait := time.NewTimer(readyWait)
	defer wait.Stop()
	look := time.NewTicker(liveLookEvery)
	defer look.Stop()
	for {
		s.lookAtLive(ctx)
		select {
		case <-s.ready:
			return nil
		case <-ctx.Done():
			return s.refusal()
		case <-wait.C:
			return s.refusal()
		case <-look.C:
		}
	}
}

// liveLookEvery spaces a waiting login's looks at live dependencies.
const liveLookEvery = 20 * time.Millisecond

func (s *Startup) lookAtLive(ctx context.Context) {
	for _, d := range s.deps {
		if d.Live && !s.isUp(d.Name) {
			if err := d.Probe(ctx); err == nil || s.probed(d.Name) {
				// A failed live look before the first probe would count as
				// that probe; leave it to the supervisor.
				s.record(d.Name, err)
			}
		}
	}
}

func (s *Startup) probed(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.last[name]
	return ok
}

// refusal names what is missing; nil when nothing is (the gate is opening).
func (s *Startup) refusal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var waiting []string
	for _, d := range s.deps {
		err, probed := s.last[d.Name]
		switch {
		case s.up[d.Name]:
		case !probed:
			waiting = append(waiting, d.Name+" not checked yet")
		case err != nil:
			waiting = append(waiting, d.Name+" unreachable")
		}
	}
	if len(waiting) == 0 {
		return nil
	}
	return &domain.StartingError{Waiting: waiting}
}

func (s *Startup) isUp(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up[name]
}

// record keeps a probe's result and opens the gate once every dependency
// has answered.
func (s *Startup) record(name string, err error) {
	s.mu.Lock()
	s.last[name] = err
	if err == nil {
		s.up[name] = true
	}
	all := len(s.up) == len(s.deps)
	warned := s.warned
	s.mu.Unlock()
	if all {
		s.openOnce.Do(func() {
			close(s.ready)
			took := time.Since(s.started).Round(time.Millisecond)
			if warned {
				// The warnings before said logins are refused: say they are not any more.
				s.log.Warn("every dependency answers: accepting logins", "after", took)
			} else {
				s.log.Info("every dependency answers", "after", took)
			}
		})
	}
}

// Run probes every dependency until each has answered once (the server is
// then ready) and returns nil; it returns early, also nil, when ctx ends.
func (s *Startup) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, d := range s.deps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.await(ctx, d)
		}()
	}
	wg.Wait()
	return nil
}

// await probes d until it answers (here, or in a login's live look) or ctx
// ends.
func (s *Startup) await(ctx context.Context, d Dependency) {
	delay := s.timing.FirstRetry
	var lastLog time.Time
	warned := false
	for {
		if s.isUp(d.Name) {
			return
		}
		pctx, cancel := context.WithTimeout(ctx, s.timing.ProbeTimeout)
		err := d.Probe(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		missing := time.Since(s.started)
		if err == nil {
			if warned {
				s.log.Warn(d.Name+" answers", "dependency", d.Name, "after", missing.Round(time.Millisecond))
			} else {
				s.log.Debug(d.Name+" answers", "dependency", d.Name, "after", missing.Round(time.Millisecond))
			}
			s.record(d.Name, nil)
			return
		}
		now := time.Now()
		switch {
		case missing < s.timing.WarnAfter:
			s.log.Debug("waiting for "+d.Name, "dependency", d.Name, "err", err)
		case lastLog.IsZero() || now.Sub(lastLog) >= s.timing.LogEvery:
			lastLog, warned = now, true
			s.mu.Lock()
			s.warned = true
			s.mu.Unlock()
			s.log.Warn("waiting for "+d.Name+"; logins are refused until it answers (logged once a minute)",
				"dependency", d.Name, "err", err, "waiting", missing.Round(time.Second))
		}
		s.record(d.Name, err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.ready:
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, s.timing.MaxRetry)
	}
}

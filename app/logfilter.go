package app

import (
	"context"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"

	"github.com/notifypush/notify_push/domain"
)

// LogFilter decides which log lines reach the output, per target, by the
// LogSpec in force: LOG at start, then the specs notify_config pushes and
// pops at run time (upstream's stack of temporary specs). Loggers get their
// target with log.With(domain.TargetKey, name); lines of a logger without one count
// as domain.TargetRoot's.
//
// Asking whether a level is enabled costs one atomic load: each target's
// lowest level is recomputed when the spec changes, not when a line is
// logged, so a debug line on the fan-out's path costs nothing while it is off.
type LogFilter struct {
	out  slog.Handler
	text atomic.Pointer[regexp.Regexp]

	mu      sync.Mutex
	spec    LogSpec
	stack   []LogSpec
	targets map[string]*targetLevel
	root    *targetLevel
}

type targetLevel struct{ min atomic.Int64 }

// NewLogFilter filters what is written to out, which must itself let every
// level through, by spec.
func NewLogFilter(out slog.Handler, spec LogSpec) *LogFilter {
	f := &LogFilter{out: out, targets: make(map[string]*targetLevel)}
	f.root = f.level(domain.TargetRoot)
	f.set(spec)
	return f
}

// Logger is the process's logger, of target domain.TargetRoot.
func (f *LogFilter) Logger() *slog.Logger {
	return slog.New(&filterHandler{f: f, target: f.root, next: f.out})
}

// Spec is the spec in force.
func (f *LogFilter) Spec() LogSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.spec
}

// Push puts spec in force and keeps the one it replaces for Pop. As
// flexi_logger's parse_and_push_temp_spec, the spec in force is kept even
// when spec does not parse, so that a Pop always undoes one Push.
func (f *LogFilter) Push(spec string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stack = append(f.stack, f.spec)
	parsed, err := ParseLogSpec(spec)
	if err != nil {
		return err
	}
	f.set(parsed)
	return nil
}

// Pop puts the spec back that the last Push replaced; with none left, LOG's
// stays in force.
func (f *LogFilter) Pop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.stack); n > 0 {
		f.set(f.stack[n-1])
		f.stack = f.stack[:n-1]
	}
}

// set puts spec in force; f.mu is held, or f is not shared yet.
func (f *LogFilter) set(spec LogSpec) {
	f.spec = spec
	f.text.Store(spec.text)
	for name, t := range f.targets {
		t.min.Store(int64(spec.Level(name)))
	}
}

// level is target's entry, made on first use.
func (f *LogFilter) level(target string) *targetLevel {
	t, ok := f.targets[target]
	if !ok {
		t = &targetLevel{}
		t.min.Store(int64(f.spec.Level(target)))
		f.targets[target] = t
	}
	return t
}

// filterHandler is a LogFilter's handler for one target.
type filterHandler struct {
	f      *LogFilter
	target *targetLevel
	next   slog.Handler
}

func (h *filterHandler) Enabled(_ context.Context, l slog.Level) bool {
	return int64(l) >= h.target.min.Load()
}

func (h *filterHandler) Handle(ctx context.Context, r slog.Record) error {
	if int64(r.Level) < h.target.min.Load() {
		return nil
	}
	if re := h.f.text.Load(); re != nil && !re.MatchString(r.Message) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs switches to the target an attribute domain.TargetKey names; the
// attribute is kept, so that each line says its target.
func (h *filterHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := &filterHandler{f: h.f, target: h.target, next: h.next.WithAttrs(attrs)}
	for _, a := range attrs {
		if a.Key == domain.TargetKey && a.Value.Kind() == slog.KindString {
			h.f.mu.Lock()
			c.target = h.f.level(a.Value.String())
			h.f.mu.Unlock()
		}
	}
	return c
}

func (h *filterHandler) WithGroup(name string) slog.Handler {
	return &filterHandler{f: h.f, target: h.target, next: h.next.WithGroup(name)}
}

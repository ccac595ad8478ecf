package app

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// LevelTrace is below debug, for upstream's "trace".
const LevelTrace = slog.LevelDebug - 4

// LogLevel is the process's log level, changeable at run time through
// notify_config and restorable to the configured one.
type LogLevel struct {
	mu         sync.Mutex
	v          *slog.LevelVar
	configured slog.Level
}

// NewLogLevel takes v's current level as the configured one.
func NewLogLevel(v *slog.LevelVar) *LogLevel {
	return &LogLevel{v: v, configured: v.Level()}
}

// Level is the level in force.
func (l *LogLevel) Level() slog.Level { return l.v.Level() }

// Apply sets the level from a spec: "debug", or upstream's module syntax
// "notify_push=debug" / "warn,notify_push=trace" (our module's entry wins).
func (l *LogLevel) Apply(spec string) error {
	lvl, err := ParseLogSpec(spec)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.v.Set(lvl)
	l.mu.Unlock()
	return nil
}

// Restore puts the configured level back.
func (l *LogLevel) Restore() {
	l.mu.Lock()
	l.v.Set(l.configured)
	l.mu.Unlock()
}

// ParseLogSpec reads a level or an env_logger-style spec.
func ParseLogSpec(spec string) (slog.Level, error) {
	var def, ours string
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		module, level, found := strings.Cut(part, "=")
		switch {
		case !found:
			def = module
		case strings.TrimSpace(module) == "notify_push" || strings.HasPrefix(strings.TrimSpace(module), "notify_push::"):
			ours = level
		}
	}
	name := ours
	if name == "" {
		name = def
	}
	if name == "" {
		return 0, fmt.Errorf("log spec %q names no level for notify_push", spec)
	}
	return ParseLevel(name)
}

// ParseLevel reads one level name.
func ParseLevel(name string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "trace":
		return LevelTrace, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "off", "none":
		return slog.LevelError + 100, nil
	default:
		return 0, fmt.Errorf("unknown log level %q (want trace, debug, info, warn, error or off)", name)
	}
}

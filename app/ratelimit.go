package app

import (
	"sync"
	"time"
)

// logLimiter lets one log line per key through per interval, so an outage
// that fails every event does not flood the log.
type logLimiter struct {
	interval time.Duration

	mu   sync.Mutex
	last map[any]time.Time
}

// maxLimiterKeys bounds the memory of the limiter; past it, keys older than
// the interval are dropped.
const maxLimiterKeys = 10_000

func newLogLimiter(interval time.Duration) *logLimiter {
	return &logLimiter{interval: interval, last: make(map[any]time.Time)}
}

// allow reports whether a line for key may be logged at now.
func (l *logLimiter) allow(key any, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.interval {
		return false
	}
	if len(l.last) >= maxLimiterKeys {
		for k, t := range l.last {
			if now.Sub(t) >= l.interval {
				delete(l.last, k)
			}
		}
	}
	l.last[key] = now
	return true
}

package websocket

import (
	"sync"
	"time"
)

// logLimiter lets one log line through per key per window, so that a client
// retrying a wrong password, or a proxy that strips headers, cannot flood
// the log. It remembers a bounded number of keys.
type logLimiter struct {
	window time.Duration

	mu         sync.Mutex
	last       map[string]time.Time
	suppressed map[string]int
	// A cap over all keys, since keys (forwarded addresses) can be forged.
	second   int64
	inSecond int
}

// maxLinesPerSecond caps a limiter's lines over all keys.
const maxLinesPerSecond = 20

// maxLimiterKeys bounds the memory of a limiter under a flood from many addresses.
const maxLimiterKeys = 10_000

func newLogLimiter(window time.Duration) *logLimiter {
	return &logLimiter{window: window, last: make(map[string]time.Time), suppressed: make(map[string]int)}
}

// allow reports whether a line for key may be logged now, and how many were
// held back since the last one that was.
func (l *logLimiter) allow(key string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := now.Unix(); s != l.second {
		l.second, l.inSecond = s, 0
	}
	if t, ok := l.last[key]; (ok && now.Sub(t) < l.window) || l.inSecond >= maxLinesPerSecond {
		if len(l.suppressed) < maxLimiterKeys {
			l.suppressed[key]++
		}
		return false, 0
	}
	l.inSecond++
	if len(l.last) >= maxLimiterKeys {
		clear(l.last) // forgetting lets a few more lines through, never fewer
		clear(l.suppressed)
	}
	l.last[key] = now
	n := l.suppressed[key]
	delete(l.suppressed, key)
	return true, n
}

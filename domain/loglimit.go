package domain

import (
	"sync"
	"time"
)

// LogLimiter lets one log line per key through per window, and counts the
// lines it holds back, so that an outage failing every event, or a client
// retrying a wrong password, cannot flood the log. It remembers a bounded
// number of keys. Build it with NewLogLimiter; time is passed in.
type LogLimiter struct {
	window    time.Duration
	perSecond int

	mu         sync.Mutex
	last       map[any]time.Time
	suppressed map[any]int
	second     int64
	inSecond   int
}

// maxLimiterKeys bounds the memory of a limiter under a flood of keys.
const maxLimiterKeys = 10_000

// NewLogLimiter lets a line per key through every window. With perSecond
// above 0, at most that many lines pass per second over all keys: keys that a
// client chooses (its address) cannot then buy a line each.
func NewLogLimiter(window time.Duration, perSecond int) *LogLimiter {
	return &LogLimiter{window: window, perSecond: perSecond, last: make(map[any]time.Time),
		suppressed: make(map[any]int)}
}

// Allow reports whether a line for key may be logged at now, and how many
// lines for key were held back since the last one that was.
func (l *LogLimiter) Allow(key any, now time.Time) (ok bool, held int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := now.Unix(); s != l.second {
		l.second, l.inSecond = s, 0
	}
	t, seen := l.last[key]
	if (seen && now.Sub(t) < l.window) || (l.perSecond > 0 && l.inSecond >= l.perSecond) {
		if len(l.suppressed) < maxLimiterKeys {
			l.suppressed[key]++
		}
		return false, 0
	}
	l.inSecond++
	if len(l.last) >= maxLimiterKeys {
		l.forgetLocked(now)
	}
	l.last[key] = now
	held = l.suppressed[key]
	delete(l.suppressed, key)
	return true, held
}

// forgetLocked drops the keys whose window has passed, or all of them when
// none has: forgetting lets a few more lines through, never fewer.
func (l *LogLimiter) forgetLocked(now time.Time) {
	for k, t := range l.last {
		if now.Sub(t) >= l.window {
			delete(l.last, k)
		}
	}
	if len(l.last) >= maxLimiterKeys {
		clear(l.last)
		clear(l.suppressed)
	}
}

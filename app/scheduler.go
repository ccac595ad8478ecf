package app

import (
	"container/heap"
	"sync"
	"time"
)

// scheduler keeps the debounce due times of every connection in one heap, so
// that the hub needs one timer in all instead of a ticker per connection.
// A session is in the heap at most once with a current entry; entries left
// behind by an earlier due time are skipped when popped.
type scheduler struct {
	mu   sync.Mutex
	h    dueHeap
	wake chan struct{}
}

type dueEntry struct {
	at time.Time
	s  *session
}

type dueHeap []dueEntry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueEntry)) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = dueEntry{}
	*h = old[:len(old)-1]
	return e
}

func newScheduler() *scheduler {
	return &scheduler{wake: make(chan struct{}, 1)}
}

// schedule makes sure s is flushed no later than at.
func (sc *scheduler) schedule(s *session, at time.Time) {
	sc.mu.Lock()
	if s.queued && !at.Before(s.due) {
		sc.mu.Unlock()
		return
	}
	s.due, s.queued = at, true
	heap.Push(&sc.h, dueEntry{at: at, s: s})
	earliest := sc.h[0].s == s && sc.h[0].at.Equal(at)
	sc.mu.Unlock()
	if earliest {
		select {
		case sc.wake <- struct{}{}:
		default:
		}
	}
}

// popDue appends to dst every session due at now and returns the next due
// time after those (zero when none).
func (sc *scheduler) popDue(now time.Time, dst []*session) ([]*session, time.Time) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for len(sc.h) > 0 {
		e := sc.h[0]
		if !e.s.queued || !e.at.Equal(e.s.due) {
			heap.Pop(&sc.h) // superseded by an earlier entry
			continue
		}
		if e.at.After(now) {
			return dst, e.at
		}
		heap.Pop(&sc.h)
		e.s.queued = false
		dst = append(dst, e.s)
	}
	return dst, time.Time{}
}

// next is the earliest due time, zero when nothing is scheduled.
func (sc *scheduler) next() time.Time {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for len(sc.h) > 0 {
		e := sc.h[0]
		if e.s.queued && e.at.Equal(e.s.due) {
			return e.at
		}
		heap.Pop(&sc.h)
	}
	return time.Time{}
}

// len is the number of heap entries, stale ones included (for tests).
func (sc *scheduler) len() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.h)
}

package app

import (
	"time"

	"github.com/notifypush/notify_push/domain"
)

// recovery is one return of the database: the missed storages it looks up
// and the clients it tells.
type recovery struct {
	remaining int
	storages  int
	found     int // storages whose lookup succeeded
	told      int
}

// missLocked remembers that an update of storage was dropped.
func (m *Mapper) missLocked(storage domain.StorageID) {
	if m.missedAll {
		return
	}
	if len(m.missed) >= m.opts.MaxMissedStorages {
		m.missedAll = true
		return
	}
	m.missed[storage] = struct{}{}
}

// fileKind is what a client whose file changes may have been lost re-checks.
var fileKind = []domain.MessageKind{domain.KindFile}

// recoverLocked tells the users of the missed storages, the database being
// back: a lookup of each is queued, as many as fit, into the recovery under
// way (a new one when none is); each success queues more. It reports whether
// everyone must be told instead, the set having overflowed.
func (m *Mapper) recoverLocked(now time.Time) (everyone bool) {
	if m.missedAll {
		m.missedAll = false
		clear(m.missed)
		return true
	}
	if len(m.missed) == 0 {
		return false
	}
	r := m.recovering
	if r == nil {
		r = &recovery{}
	}
	queued := 0
	for storage := range m.missed {
		if len(m.pending) >= m.opts.MaxPendingStorages {
			break
		}
		delete(m.missed, storage)
		l := m.pending[storage]
		if l == nil {
			l = m.queueLocked(storage)
		}
		if !l.missed {
			l.missed = true
			queued++
		}
	}
	r.storages += queued
	r.remaining += queued
	if m.recovering == nil && queued > 0 {
		m.recovering = r
		m.log.Debug("database answers again: looking up the storages whose updates were dropped",
			"storages", queued, "at", now)
	}
	return false
}

// recovered counts a missed storage's lookup done: found when it succeeded,
// having told n clients. After the last one it closes the recovery, with a
// log line and the counter when any storage was found (a probe that failed,
// the database being still away, is no resync).
func (m *Mapper) recovered(found bool, n int) {
	m.mu.Lock()
	r := m.recovering
	if r == nil {
		m.mu.Unlock()
		return
	}
	if found {
		r.found++
	}
	r.told += n
	r.remaining--
	done := r.remaining <= 0
	if done {
		m.recovering = nil
	}
	m.mu.Unlock()
	if done && r.found > 0 {
		m.resynced(r.told, r.found, m.clock.Now())
	}
}

// resynced counts and logs one resync after the database came back.
func (m *Mapper) resynced(clients, storages int, now time.Time) {
	m.counters.Resynced(domain.ResyncDatabase, clients)
	if storages == 0 {
		m.log.Info("database answers again after dropped storage updates: every client told to re-check its files",
			"clients", clients, "reason", domain.ResyncDatabase.String())
		return
	}
	m.log.Info("database answers again after dropped storage updates: their users told to re-check their files",
		"clients", clients, "storages", storages, "reason", domain.ResyncDatabase.String())
}

// probeMissed looks up one missed storage, when updates were dropped and
// nothing else is under way: its lookup tells whether the database answers
// again, so that recovery does not wait for the next update. It runs every
// MinBackoff and ignores the storages' own backoffs, which grow to a minute:
// one query per MinBackoff is what an outage costs the database.
func (m *Mapper) probeMissed(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recovering != nil || len(m.missed) == 0 || len(m.pending) >= m.opts.MaxPendingStorages {
		return
	}
	for _, l := range m.pending {
		if l.missed {
			return // a probe is under way
		}
	}
	for storage := range m.missed {
		if m.pending[storage] != nil {
			continue
		}
		delete(m.missed, storage)
		m.queueLocked(storage).missed = true
		m.recovering = &recovery{storages: 1, remaining: 1}
		return
	}
}

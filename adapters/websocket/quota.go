package websocket

import (
	"net/netip"
	"sync"
)

// addressQuota counts what each client address holds of two shared
// resources, pending logins and credential checks, so that one address
// (an IPv4 address or an IPv6 /64, domain.AddressKey) cannot take all of
// either. An address holding nothing takes no memory.
type addressQuota struct {
	mu     sync.Mutex
	counts map[netip.Prefix]heldByAddress
}

type heldByAddress struct {
	pending, checks int32
}

// quotaKind names one of the two counts.
type quotaKind uint8

const (
	quotaPending quotaKind = iota
	quotaChecks
)

func newAddressQuota() *addressQuota {
	return &addressQuota{counts: make(map[netip.Prefix]heldByAddress)}
}

// take counts one more of kind for key unless key already holds limit; an
// invalid key (a unix socket peer no proxy header names a client for) is
// not limited.
func (q *addressQuota) take(key netip.Prefix, kind quotaKind, limit int) bool {
	if !key.IsValid() {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	h := q.counts[key]
	n := h.count(kind)
	if int(*n) >= limit {
		return false
	}
	*n++
	q.counts[key] = h
	return true
}

// give returns what take counted.
func (q *addressQuota) give(key netip.Prefix, kind quotaKind) {
	if !key.IsValid() {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	h := q.counts[key]
	*h.count(kind)--
	if h == (heldByAddress{}) {
		delete(q.counts, key)
		return
	}
	q.counts[key] = h
}

// held is what key holds of kind.
func (q *addressQuota) held(key netip.Prefix, kind quotaKind) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	h := q.counts[key]
	return int(*h.count(kind))
}

func (h *heldByAddress) count(kind quotaKind) *int32 {
	if kind == quotaChecks {
		return &h.checks
	}
	return &h.pending
}

package app

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// HubOptions are the hub's tunables.
type HubOptions struct {
	MaxDebounceTime time.Duration
	DebounceDisable bool
	// ResyncSpread is the window over which a resync reaches the
	// connections, each at a random moment in it (zero: all at once).
	ResyncSpread time.Duration
}

// HubOptionsFrom picks the hub's part of cfg.
func HubOptionsFrom(cfg Config) HubOptions {
	return HubOptions{MaxDebounceTime: cfg.MaxDebounceTime, DebounceDisable: cfg.DebounceDisable,
		ResyncSpread: cfg.ResyncSpread}
}

// Hub knows every authenticated connection by user and delivers messages to
// them, debounced per connection (PROTOCOL §10).
type Hub struct {
	opts     HubOptions
	clock    ports.Clock
	counters *domain.Counters
	log      *slog.Logger
	// sent logs each message as upstream does, at debug: one Enabled
	// check per message while that is off.
	sent  *slog.Logger
	sched *scheduler

	mu sync.RWMutex
	// users holds each user's first connection, the others following it
	// through session.next: one map slot and no slice per user.
	users map[domain.UserID]*session
}

// session is one attached connection; it implements ports.Session. There is
// one per connection, so its fields are kept few (domain.Subscription is
// small for the same reason).
type session struct {
	hub  *Hub
	user domain.UserID
	conn ports.ClientConn
	// next is the user's next connection; guarded by Hub.mu.
	next *session

	mu     sync.Mutex
	sub    domain.Subscription
	closed bool

	// Guarded by the scheduler's lock; queued sits beside closed, where the
	// padding would be anyway.
	queued bool
	due    time.Time
}

var _ ports.Session = (*session)(nil)

// NewHub makes an empty hub.
func NewHub(opts HubOptions, clock ports.Clock, counters *domain.Counters, log *slog.Logger) *Hub {
	if opts.MaxDebounceTime <= 0 {
		opts.MaxDebounceTime = domain.DefaultMaxDebounce
	}
	return &Hub{
		opts:     opts,
		clock:    clock,
		counters: counters,
		log:      log,
		sent:     log.With(domain.TargetKey, domain.TargetSend),
		sched:    newScheduler(),
		users:    make(map[domain.UserID]*session),
	}
}

// Connect attaches conn as a connection of user, refusing the connection when
// the user already holds domain.MaxConnectionsPerUser.
func (h *Hub) Connect(user domain.UserID, conn ports.ClientConn) (ports.Session, error) {
	s := &session{hub: h, user: user, conn: conn, sub: domain.NewSubscription(0.5 + rand.Float64())}
	h.mu.Lock()
	first := h.users[user]
	if first == nil {
		h.users[user] = s
		h.counters.ActiveUsers.Add(1)
	} else {
		// Appended last, so that a user's connections are told in the order
		// they logged in.
		last, n := first, 1
		for ; last.next != nil; last = last.next {
			n++
		}
		if n >= domain.MaxConnectionsPerUser {
			h.mu.Unlock()
			return nil, domain.ErrConnectionLimit
		}
		last.next = s
	}
	h.mu.Unlock()
	h.counters.ActiveConnections.Add(1)
	h.counters.TotalConnections.Add(1)
	return s, nil
}

// ListenFileIDs implements ports.Session.
func (s *session) ListenFileIDs() {
	s.mu.Lock()
	s.sub.ListenFileIDs()
	s.mu.Unlock()
}

// Close implements ports.Session: it detaches the connection from the hub.
func (s *session) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()

	h := s.hub
	h.mu.Lock()
	switch first := h.users[s.user]; {
	case first == s && s.next == nil:
		delete(h.users, s.user)
		h.counters.ActiveUsers.Add(-1)
	case first == s:
		h.users[s.user] = s.next
	default:
		for c := first; c != nil; c = c.next {
			if c.next == s {
				c.next = s.next
				break
			}
		}
	}
	s.next = nil
	h.mu.Unlock()
	h.counters.ActiveConnections.Add(-1)
}

// Connections is the number of connections user holds.
func (h *Hub) Connections(user domain.UserID) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for s := h.users[user]; s != nil; s = s.next {
		n++
	}
	return n
}

// appendSessionsLocked appends the connections of user to dst; h.mu is held.
func (h *Hub) appendSessionsLocked(dst []*session, user domain.UserID) []*session {
	for s := h.users[user]; s != nil; s = s.next {
		dst = append(dst, s)
	}
	return dst
}

// debounceBase is the load-scaled debounce time for file and activity slots.
func (h *Hub) debounceBase() time.Duration {
	return domain.DebounceBase(h.counters.ActiveConnections.Load(), h.opts.MaxDebounceTime)
}

// slotUpdate says which debounce slot a delivery fills.
type slotUpdate struct {
	kind    domain.MessageKind
	fileID  domain.FileID
	knownID bool
	// texts, set by withTexts, are what a connection with nothing pending
	// is sent at once when debouncing is off: [0] without "listen
	// notify_file_id", [1] with it.
	texts *[2]string
	// logSends: notify_push::send is at debug, asked once per delivery
	// rather than once per connection.
	logSends bool
}

func (u slotUpdate) apply(sub *domain.Subscription, now time.Time) {
	switch u.kind {
	case domain.KindFile:
		sub.AddFile(u.fileID, u.knownID, now)
	case domain.KindActivity:
		sub.AddActivity(now)
	case domain.KindNotification:
		sub.AddNotification(now)
	}
}

// withTexts builds u's undebounced texts once, so that a fan-out does not
// encode the same message for each of its connections. They are the texts
// apply followed by FlushAll gives a subscription with nothing pending.
func (u slotUpdate) withTexts() slotUpdate {
	var t [2]string
	switch u.kind {
	case domain.KindFile:
		t = [2]string{domain.TextNotifyFile, domain.TextNotifyFile}
		if u.knownID {
			t[1] = domain.EncodeFile([]domain.FileID{u.fileID}, false, true)
		}
	case domain.KindActivity:
		t = [2]string{domain.TextNotifyActivity, domain.TextNotifyActivity}
	default:
		t = [2]string{domain.TextNotifyNotification, domain.TextNotifyNotification}
	}
	u.texts = &t
	return u
}

// sessionsOf copies the sessions of user into buf, so that nothing is sent
// while the hub's lock is held (a transport may detach from within Send).
func (h *Hub) sessionsOf(user domain.UserID, buf *[domain.MaxConnectionsPerUser]*session) []*session {
	h.mu.RLock()
	ss := h.appendSessionsLocked(buf[:0], user)
	h.mu.RUnlock()
	return ss
}

// deliver fills a debounce slot on every connection of user.
func (h *Hub) deliver(user domain.UserID, u slotUpdate, now time.Time, base time.Duration) {
	h.counters.MessagesSentN(u.kind, uint64(h.deliverUncounted(user, u, now, base)))
}

// deliverUncounted is deliver, except that the n messages of kind u.kind it
// sends at once are left to the caller to count: a fan-out counts them once
// per goroutine rather than contending for the counter once per connection.
func (h *Hub) deliverUncounted(user domain.UserID, u slotUpdate, now time.Time, base time.Duration) (n int) {
	if h.opts.DebounceDisable && u.texts == nil {
		u = u.withTexts()
	}
	u.logSends = h.sent.Enabled(context.Background(), slog.LevelDebug)
	var out []domain.Outgoing
	var buf [domain.MaxConnectionsPerUser]*session
	for _, s := range h.sessionsOf(user, &buf) {
		n += h.deliverTo(s, u, now, base, &out)
	}
	return n
}

// deliverTo fills u's slot on s and returns 1 when it sent u's text at once
// (uncounted), 0 otherwise. out is scratch space.
func (h *Hub) deliverTo(s *session, u slotUpdate, now time.Time, base time.Duration, out *[]domain.Outgoing) int {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0
	}
	if !h.opts.DebounceDisable {
		u.apply(&s.sub, now)
		due, _ := s.sub.NextDue(base)
		s.mu.Unlock()
		h.sched.schedule(s, due)
		return 0
	}
	if !s.sub.Pending() {
		text := u.texts[0]
		if s.sub.ListensFileIDs() {
			text = u.texts[1]
		}
		s.mu.Unlock()
		o := domain.Outgoing{Kind: u.kind, Text: text}
		if u.logSends {
			h.logSent(s.user, o, false)
		}
		s.conn.Send(o)
		return 1
	}
	u.apply(&s.sub, now)
	*out = s.sub.FlushAll(now, (*out)[:0])
	s.mu.Unlock()
	h.send(s, *out, false)
	return 0
}

// parallelFanout is the number of users from which deliverMany spreads the
// work over every core: below it, starting goroutines costs more than it saves.
const parallelFanout = 1024

// fanoutChunk is how many users a fan-out looks up under one read lock: a
// lock per user would have the goroutines of a fan-out contend for the
// lock's reader count once per user.
const fanoutChunk = 64

// deliverMany fills a debounce slot on every connection of every user. A
// storage shared with thousands of users is delivered by one goroutine per
// core, each writing to its share of the sockets, so the last user of the
// list hears of the change as soon as the first.
func (h *Hub) deliverMany(users []domain.UserID, u slotUpdate, now time.Time, base time.Duration) {
	if h.opts.DebounceDisable {
		u = u.withTexts()
	}
	u.logSends = h.sent.Enabled(context.Background(), slog.LevelDebug)
	workers := min(runtime.GOMAXPROCS(0), len(users)/parallelFanout)
	if workers < 2 {
		h.deliverShare(users, 0, 1, u, now, base)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Interleaved: no goroutine gets only the users with many connections.
			h.deliverShare(users, w, workers, u, now, base)
		}()
	}
	wg.Wait()
}

// deliverShare delivers u to users[first], users[first+step], … and counts
// what it sent at once.
func (h *Hub) deliverShare(users []domain.UserID, first, step int, u slotUpdate, now time.Time, base time.Duration) {
	var (
		out []domain.Outgoing
		ss  []*session
		n   int
	)
	for i := first; i < len(users); {
		ss = ss[:0]
		h.mu.RLock()
		for k := 0; k < fanoutChunk && i < len(users); k, i = k+1, i+step {
			ss = h.appendSessionsLocked(ss, users[i])
		}
		h.mu.RUnlock()
		for _, s := range ss {
			n += h.deliverTo(s, u, now, base, &out)
		}
	}
	h.counters.MessagesSentN(u.kind, uint64(n))
}

// sendCustom sends text to every connection of user at once, undebounced.
func (h *Hub) sendCustom(user domain.UserID, text string) {
	var buf [domain.MaxConnectionsPerUser]*session
	msg := domain.Outgoing{Kind: domain.KindCustom, Text: text}
	logSends := h.sent.Enabled(context.Background(), slog.LevelDebug)
	for _, s := range h.sessionsOf(user, &buf) {
		if logSends {
			h.logSent(s.user, msg, false)
		}
		s.conn.Send(msg)
		h.counters.MessageSent(domain.KindCustom)
	}
}

// send writes out to s; debounced says the messages waited in their slots.
func (h *Hub) send(s *session, out []domain.Outgoing, debounced bool) {
	logSends := len(out) > 0 && h.sent.Enabled(context.Background(), slog.LevelDebug)
	for _, o := range out {
		if logSends {
			h.logSent(s.user, o, debounced)
		}
		s.conn.Send(o)
		h.counters.MessageSent(o.Kind)
	}
}

// logSent is upstream's line for a message sent, kept out of line so that
// the callers' check, once per delivery, is all the hot path pays.
func (h *Hub) logSent(user domain.UserID, o domain.Outgoing, debounced bool) {
	if debounced {
		h.sent.Debug("Sending debounced " + domain.MessageName(o) + " to " + string(user))
		return
	}
	h.sent.Debug("Sending " + domain.MessageName(o) + " to " + string(user))
}

// FlushDue sends every debounced message due at now and returns when the next
// one is due (zero when nothing is pending).
func (h *Hub) FlushDue(now time.Time) time.Time {
	due, _ := h.sched.popDue(now, nil)
	if len(due) == 0 {
		return h.sched.next()
	}
	base := h.debounceBase()
	var out []domain.Outgoing
	for _, s := range due {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			continue
		}
		out = s.sub.Flush(now, base, out[:0])
		next, pending := s.sub.NextDue(base)
		s.mu.Unlock()
		h.send(s, out, true)
		if pending {
			h.sched.schedule(s, next)
		}
	}
	return h.sched.next()
}

// Resync tells connections to re-check the kinds given, because events for
// them may have been lost: Resync for every connection, ResyncUsers for the
// connections of users. Each connection's slots are filled at a random
// moment within ResyncSpread from now and then sent through the normal
// debounce, so that a storm of reconnects sends each message at most once
// per debounce window and thousands of clients do not reach Nextcloud in the
// same instant. They return the number of connections told.
func (h *Hub) Resync(kinds []domain.MessageKind, now time.Time) int {
	h.mu.RLock()
	sessions := make([]*session, 0, h.counters.ActiveConnections.Load())
	for _, first := range h.users {
		for s := first; s != nil; s = s.next {
			sessions = append(sessions, s)
		}
	}
	h.mu.RUnlock()
	return h.resync(sessions, kinds, now)
}

// ResyncUsers is Resync for the connections of users.
func (h *Hub) ResyncUsers(users []domain.UserID, kinds []domain.MessageKind, now time.Time) int {
	var sessions []*session
	h.mu.RLock()
	for _, u := range users {
		sessions = h.appendSessionsLocked(sessions, u)
	}
	h.mu.RUnlock()
	return h.resync(sessions, kinds, now)
}

func (h *Hub) resync(sessions []*session, kinds []domain.MessageKind, now time.Time) int {
	base := h.debounceBase()
	told := 0
	for _, s := range sessions {
		at := now
		if spread := h.opts.ResyncSpread; spread > 0 {
			at = now.Add(rand.N(spread))
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			continue
		}
		for _, k := range kinds {
			slotUpdate{kind: k}.apply(&s.sub, at)
		}
		due, _ := s.sub.NextDue(base)
		s.mu.Unlock()
		h.sched.schedule(s, due)
		told++
	}
	return told
}

// CloseAll ends every connection with reason; each transport then detaches
// its session.
func (h *Hub) CloseAll(reason domain.CloseReason) int {
	h.mu.RLock()
	var conns []ports.ClientConn
	for _, first := range h.users {
		for s := first; s != nil; s = s.next {
			conns = append(conns, s.conn)
		}
	}
	h.mu.RUnlock()
	for _, c := range conns {
		c.Close(reason)
	}
	return len(conns)
}

// idleWait bounds the scheduler's sleep when nothing is pending.
const idleWait = time.Minute

// Run drives the debounce scheduler until ctx ends, then closes every
// connection with domain.CloseShutdown so that clients reconnect elsewhere.
func (h *Hub) Run(ctx context.Context) error {
	timer := h.clock.NewTimer(idleWait)
	defer timer.Stop()
	for {
		now := h.clock.Now()
		wait := idleWait
		if next := h.FlushDue(now); !next.IsZero() {
			wait = max(next.Sub(now), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			n := h.CloseAll(domain.CloseShutdown)
			h.log.Info("hub stopped", "closed_connections", n)
			return nil
		case <-timer.C():
		case <-h.sched.wake:
		}
	}
}

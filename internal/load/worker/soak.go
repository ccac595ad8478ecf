package worker

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	randv2 "math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/publish"
	"github.com/notifypush/notify_push/internal/load/report"
)

// The soak mode's side in a worker: slots of client connections, some held
// for the whole run, the others closed after a while and logged in again in
// a loop. Every session is recorded with when it was up and what it received
// when, for the orchestrator to account against the events it published.

// How a churning session is closed, in turn: a close frame, a bare TCP
// close (FIN), a reset (RST). "stop" is the end of the soak.
var closeStyles = []string{"close frame", "FIN", "RST"}

// soakRun is a soak running in a worker.
type soakRun struct {
	w      *worker
	spec   protocol.SoakSpec
	stop   chan struct{}
	slots  sync.WaitGroup
	first  sync.WaitGroup
	sem    chan struct{}
	tokens *tokenPublisher
	// tokenTag makes this worker's tokens differ from other workers'.
	tokenTag string
	tokenSeq atomic.Uint64

	receipts atomic.Uint64
	pings    atomic.Uint64

	mu       sync.Mutex
	status   protocol.SoakStatus
	sessions []protocol.SoakSession
}

func (w *worker) handleSoak(c protocol.Command) (protocol.Reply, bool) {
	switch c.Op {
	case protocol.OpSoakStart:
		if c.Soak == nil {
			return protocol.Reply{Error: "soak-start without a spec"}, false
		}
		w.mu.Lock()
		if w.soak != nil {
			w.mu.Unlock()
			return protocol.Reply{Error: "a soak is running already"}, false
		}
		run, err := newSoakRun(w, *c.Soak)
		if err != nil {
			w.mu.Unlock()
			return protocol.Reply{Error: err.Error()}, false
		}
		w.soak = run
		w.mu.Unlock()
		st := run.start()
		return protocol.Reply{Soak: &st}, false
	case protocol.OpSoakStatus:
		w.mu.Lock()
		run := w.soak
		w.mu.Unlock()
		if run == nil {
			return protocol.Reply{Error: "no soak is running"}, false
		}
		st := run.snapshot()
		return protocol.Reply{Soak: &st}, false
	default: // OpSoakStop
		w.mu.Lock()
		run := w.soak
		w.soak = nil
		w.mu.Unlock()
		if run == nil {
			return protocol.Reply{Error: "no soak is running"}, false
		}
		log := run.end()
		return protocol.Reply{SoakLog: &log}, false
	}
}

// stopSoak ends a soak still running when the worker quits.
func (w *worker) stopSoak() {
	w.mu.Lock()
	run := w.soak
	w.soak = nil
	w.mu.Unlock()
	if run != nil {
		run.end()
	}
}

func newSoakRun(w *worker, spec protocol.SoakSpec) (*soakRun, error) {
	switch {
	case spec.URL == "" || spec.RedisAddr == "" || len(spec.Sources) == 0:
		return nil, errors.New("soak needs a URL, a Redis address and source addresses")
	case spec.HoldMinMS <= 0 || spec.HoldMaxMS < spec.HoldMinMS || spec.PauseMaxMS < 0:
		return nil, fmt.Errorf("soak hold %d-%d ms, pause ≤ %d ms: want 0 < min ≤ max and a pause ≥ 0",
			spec.HoldMinMS, spec.HoldMaxMS, spec.PauseMaxMS)
	}
	for _, s := range spec.Sources {
		if net.ParseIP(s) == nil {
			return nil, fmt.Errorf("source address %q is not an IP address", s)
		}
	}
	tag := make([]byte, 3)
	if _, err := rand.Read(tag); err != nil {
		return nil, err
	}
	return &soakRun{w: w, spec: spec, stop: make(chan struct{}), sem: make(chan struct{}, max(1, spec.Concurrency)),
		tokens: &tokenPublisher{addr: spec.RedisAddr}, tokenTag: hex.EncodeToString(tag)}, nil
}

// start runs every slot and returns once each has tried its first login.
func (s *soakRun) start() protocol.SoakStatus {
	s.first.Add(len(s.spec.Slots))
	for i, slot := range s.spec.Slots {
		s.slots.Add(1)
		go s.runSlot(slot, sourceFor(s.spec.Sources, i))
	}
	s.first.Wait()
	return s.snapshot()
}

func (s *soakRun) snapshot() protocol.SoakStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.LoginFailures = protocol.MergeCounts(nil, s.status.LoginFailures)
	st.DropReasons = protocol.MergeCounts(nil, s.status.DropReasons)
	st.Receipts = s.receipts.Load()
	st.Pings = s.pings.Load()
	return st
}

// end closes every session, waits for the slots and returns the log.
func (s *soakRun) end() protocol.SoakLog {
	close(s.stop)
	s.slots.Wait()
	s.tokens.close()
	st := s.snapshot()
	s.mu.Lock()
	defer s.mu.Unlock()
	return protocol.SoakLog{Status: st, Sessions: s.sessions}
}

func (s *soakRun) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// sleep waits d or until the soak stops, and reports whether it goes on.
func (s *soakRun) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.stop:
		return false
	case <-t.C:
		return true
	}
}

func (s *soakRun) failed(reason string) {
	s.mu.Lock()
	if s.status.LoginFailures == nil {
		s.status.LoginFailures = map[string]int{}
	}
	s.status.LoginFailures[maskAddresses(reason)]++
	s.mu.Unlock()
}

// runSlot keeps one slot's connection up until the soak stops.
func (s *soakRun) runSlot(slot protocol.SoakSlot, source string) {
	defer s.slots.Done()
	rng := randv2.New(randv2.NewPCG(s.spec.Seed, uint64(slot.Slot)))
	timeout := time.Duration(s.spec.TimeoutMS) * time.Millisecond
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	first := true
	turn := 0           // churning sessions so far: picks the login and close styles
	usePassword := true // after a failed pre-auth login, the next try uses the password
	for !s.stopped() {
		preAuth := slot.Churn && turn%2 == 1 && !usePassword
		if first {
			s.sem <- struct{}{}
		}
		sess, c, err := s.login(slot, source, preAuth, timeout)
		if first {
			<-s.sem
			s.mu.Lock()
			if err == nil {
				s.status.FirstOK++
			} else {
				s.status.FirstFailed++
			}
			s.mu.Unlock()
			s.first.Done()
			first = false
		}
		if err != nil {
			s.failed(err.Error())
			usePassword = true
			if !s.sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond) {
				return
			}
			continue
		}
		usePassword = false
		done := make(chan struct{})
		closing := &atomic.Bool{}
		go s.read(c, sess, closing, done)

		var hold <-chan time.Time
		var timer *time.Timer
		if slot.Churn {
			d := s.spec.HoldMinMS + rng.IntN(s.spec.HoldMaxMS-s.spec.HoldMinMS+1)
			timer = time.NewTimer(time.Duration(d) * time.Millisecond)
			hold = timer.C
		}
		select {
		case <-s.stop:
			s.closeSession(c, sess, closing, "stop")
			<-done
		case <-hold:
			s.closeSession(c, sess, closing, closeStyles[turn%len(closeStyles)])
			<-done
		case <-done: // the server (or the network) ended it
		}
		if timer != nil {
			timer.Stop()
		}
		s.record(*sess)
		if slot.Churn {
			turn++
		}
		if s.stopped() {
			return
		}
		pause := 50 * time.Millisecond // a dropped connection reconnects after a beat
		if slot.Churn && s.spec.PauseMaxMS > 0 {
			pause = time.Duration(rng.IntN(s.spec.PauseMaxMS+1)) * time.Millisecond
		}
		if !s.sleep(pause) {
			return
		}
	}
}

// login opens one session for slot: by password, or with a fresh pre-auth
// token the worker publishes first (by password when it cannot).
func (s *soakRun) login(slot protocol.SoakSlot, source string, preAuth bool, timeout time.Duration) (*protocol.SoakSession, *client, error) {
	spec := protocol.ConnectSpec{URL: s.spec.URL, Listen: slot.Listen}
	if preAuth {
		prefix := fmt.Sprintf("%s%010d", s.tokenTag, s.tokenSeq.Add(1))
		// Why a token could not be published (Redis down, frozen, or nobody
		// subscribed) shows in the events' fates; here it only counts.
		if ok, _ := s.tokens.publish(slot.User, events.PreAuthToken(prefix, slot.User)); ok {
			spec.PreAuthPrefix = prefix
			time.Sleep(time.Duration(s.spec.PreAuthDelayMS) * time.Millisecond)
		} else {
			preAuth = false
			s.mu.Lock()
			s.status.TokenFallbacks++
			s.mu.Unlock()
		}
	}
	c, err := s.w.login(spec, slot.User, source, timeout)
	if err != nil && preAuth && strings.Contains(err.Error(), domain.ErrPrefix+domain.ErrInvalidCredentials.Error()) {
		// Tokens are consumed only by a login that succeeds: the same one
		// again tells a late token from a lost one.
		if !s.sleep(protocol.TokenRetryAfter) {
			return nil, nil, err
		}
		if c, err = s.w.login(spec, slot.User, source, timeout); err == nil {
			s.mu.Lock()
			s.status.TokenRetries++
			s.mu.Unlock()
		} else {
			err = fmt.Errorf("refused twice, %v apart: %w", protocol.TokenRetryAfter, err)
		}
	}
	if err != nil {
		if preAuth {
			err = fmt.Errorf("pre-auth login: %w", err)
		}
		return nil, nil, err
	}
	c.ws.SetPingHandler(func(data string) error {
		s.pings.Add(1)
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
		var ne net.Error
		if errors.Is(err, websocket.ErrCloseSent) || (errors.As(err, &ne) && ne.Timeout()) {
			return nil
		}
		return err
	})
	sess := &protocol.SoakSession{Slot: slot.Slot, User: slot.User, Listen: slot.Listen, Churn: slot.Churn, PreAuth: preAuth,
		Auth: time.Now().UnixMicro()}
	s.mu.Lock()
	s.status.Sessions++
	s.status.Open++
	if preAuth {
		s.status.PreAuthLogins++
	} else {
		s.status.PasswordLogins++
	}
	s.mu.Unlock()
	return sess, c, nil
}

// closeSession ends a session from the client's side in the given style;
// its end time is taken before anything is sent.
func (s *soakRun) closeSession(c *client, sess *protocol.SoakSession, closing *atomic.Bool, style string) {
	sess.End = time.Now().UnixMicro()
	sess.Close = style
	closing.Store(true)
	switch style {
	case "FIN":
	case "RST":
		if tc, ok := c.ws.UnderlyingConn().(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	default:
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	}
	_ = c.ws.Close()
}

// read records what the session receives until it ends.
func (s *soakRun) read(c *client, sess *protocol.SoakSession, closing *atomic.Bool, done chan<- struct{}) {
	defer close(done)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			_ = c.ws.Close()
			if !closing.Load() {
				sess.End = time.Now().UnixMicro()
				sess.Dropped = true
				sess.Reason = dropReason(err)
			}
			return
		}
		s.receive(sess, data, time.Now().UnixMicro())
	}
}

// receive classifies one frame into the session's receipts.
func (s *soakRun) receive(sess *protocol.SoakSession, data []byte, now int64) {
	text := string(data)
	add := func(kind int, id int64) {
		sess.Receipts = append(sess.Receipts, int64(kind), id, now)
		s.receipts.Add(1)
	}
	switch {
	case strings.HasPrefix(text, events.FileIDPrefix) && strings.HasSuffix(text, "]"):
		for _, f := range strings.Split(text[len(events.FileIDPrefix):len(text)-1], ",") {
			id, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				s.other(text)
				continue
			}
			add(protocol.ReceiptFileID, id)
		}
	case text == domain.TextNotifyFile:
		add(protocol.ReceiptFile, -1)
	case text == domain.TextNotifyActivity:
		add(protocol.ReceiptActivity, -1)
	case text == domain.TextNotifyNotification:
		add(protocol.ReceiptNotification, -1)
	case strings.HasPrefix(text, events.SoakMessage+" "):
		id, err := events.SoakEventID(text[len(events.SoakMessage)+1:])
		if err != nil {
			s.other(text)
			return
		}
		add(protocol.ReceiptCustom, id)
	default:
		s.other(text)
	}
}

func (s *soakRun) other(text string) {
	s.mu.Lock()
	s.status.Other++
	if s.status.OtherSample == "" {
		s.status.OtherSample = report.Truncate(text, 80)
	}
	s.mu.Unlock()
}

func (s *soakRun) record(sess protocol.SoakSession) {
	s.mu.Lock()
	s.status.Open--
	if sess.Dropped {
		s.status.Drops++
		if s.status.DropReasons == nil {
			s.status.DropReasons = map[string]int{}
		}
		s.status.DropReasons[sess.Reason]++
	}
	s.sessions = append(s.sessions, sess)
	s.mu.Unlock()
}

// tokenPublisher publishes pre-auth tokens over one plain Redis connection,
// one at a time. After a failure it refuses at once for a second, so that
// while Redis is down or frozen the slots fall back to passwords instead of
// queueing behind one another's timeouts.
type tokenPublisher struct {
	addr string

	mu        sync.Mutex
	conn      net.Conn
	br        *bufio.Reader
	buf       []byte
	downUntil time.Time
}

// tokenTimeout bounds one token's PUBLISH, dial included.
const tokenTimeout = 500 * time.Millisecond

var errTokenRedisDown = errors.New("Redis did not answer a moment ago")

// publish sends user's token and reports whether a subscriber (the server)
// received it: PUBLISH answered 1 or more.
func (t *tokenPublisher) publish(user int, token string) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if now.Before(t.downUntil) {
		return false, errTokenRedisDown
	}
	n, err := t.publishLocked(user, token, now.Add(tokenTimeout))
	if err != nil {
		t.closeLocked()
		t.downUntil = time.Now().Add(time.Second)
		return false, err
	}
	return n > 0, nil
}

func (t *tokenPublisher) publishLocked(user int, token string, deadline time.Time) (int64, error) {
	if t.conn == nil {
		c, err := net.DialTimeout("tcp", t.addr, time.Until(deadline))
		if err != nil {
			return 0, fmt.Errorf("connect to Redis: %w", err)
		}
		t.conn, t.br = c, bufio.NewReader(c)
	}
	_ = t.conn.SetDeadline(deadline)
	payload := `{"user":"user` + strconv.Itoa(user) + `","token":"` + token + `"}`
	t.buf = publish.AppendPublish(t.buf[:0], domain.ChannelPreAuth, []byte(payload))
	if _, err := t.conn.Write(t.buf); err != nil {
		return 0, fmt.Errorf("publish a token: %w", err)
	}
	line, err := t.br.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("read Redis's answer: %w", err)
	}
	return publish.ParseIntegerReply(line)
}

func (t *tokenPublisher) closeLocked() {
	if t.conn != nil {
		_ = t.conn.Close()
		t.conn, t.br = nil, nil
	}
}

func (t *tokenPublisher) close() {
	t.mu.Lock()
	t.closeLocked()
	t.mu.Unlock()
}

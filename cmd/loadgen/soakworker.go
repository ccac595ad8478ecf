package main

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
)

// The soak mode's side in a worker: slots of client connections, some held
// for the whole run, the others closed after a while and logged in again in
// a loop. Every session is recorded with when it was up and what it received
// when, for the orchestrator to account against the events it published.

// soakMessage is the custom message type the soak publishes; its body
// carries the event's id: soak {"e":<id>}.
const soakMessage = "soak"

// SoakSlot is one client connection a worker keeps up.
type SoakSlot struct {
	Slot int `json:"slot"`
	User int `json:"user"`
	// Listen sends "listen notify_file_id" after each login.
	Listen bool `json:"listen"`
	// Churn closes the connection after a while and logs in again, in turn
	// by password and by pre-auth token.
	Churn bool `json:"churn"`
}

// SoakSpec starts a soak in a worker.
type SoakSpec struct {
	URL string `json:"url"`
	// RedisAddr is where the worker publishes its pre-auth tokens.
	RedisAddr string     `json:"redis_addr"`
	Sources   []string   `json:"sources"`
	Slots     []SoakSlot `json:"slots"`
	// Concurrency bounds the first logins in flight at once.
	Concurrency int `json:"concurrency"`
	// A churning session lasts HoldMinMS to HoldMaxMS, then the slot pauses
	// up to PauseMaxMS before its next login.
	HoldMinMS  int `json:"hold_min_ms"`
	HoldMaxMS  int `json:"hold_max_ms"`
	PauseMaxMS int `json:"pause_max_ms"`
	// TimeoutMS bounds one login.
	TimeoutMS int `json:"timeout_ms"`
	// PreAuthDelayMS is the wait between a token's PUBLISH and the login
	// that uses it, for the server to have read it.
	PreAuthDelayMS int    `json:"pre_auth_delay_ms"`
	Seed           uint64 `json:"seed"`
}

// What a session received, by kind (the first of each receipt triple).
const (
	rcCustom       = iota // soak {"e":id}
	rcFileID              // one id of notify_file_id [...]
	rcFile                // notify_file
	rcActivity            // notify_activity
	rcNotification        // notify_notification
)

// How a churning session is closed, in turn: a close frame, a bare TCP
// close (FIN), a reset (RST). "stop" is the end of the soak.
var closeStyles = []string{"close frame", "FIN", "RST"}

// SoakSession is one login that succeeded and what came of it. Times are
// Unix microseconds on this machine's clock, which every process shares.
type SoakSession struct {
	Slot    int  `json:"slot"`
	User    int  `json:"user"`
	Listen  bool `json:"listen"`
	Churn   bool `json:"churn"`
	PreAuth bool `json:"pre_auth"`
	// Auth is when "authenticated" (and the listen command) was through.
	Auth int64 `json:"auth"`
	// End is when the client began closing it, or when it dropped.
	End     int64  `json:"end"`
	Dropped bool   `json:"dropped,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Close   string `json:"close,omitempty"`
	// Receipts are triples: kind (rc…), event id (-1: the frame carries
	// none), time received.
	Receipts []int64 `json:"r,omitempty"`
}

// SoakStatus counts what a worker's soak did so far.
type SoakStatus struct {
	// FirstOK and FirstFailed are the slots whose first login succeeded or
	// failed (set in the reply to OpSoakStart).
	FirstOK     int `json:"first_ok"`
	FirstFailed int `json:"first_failed"`
	Open        int `json:"open"`
	// Sessions counts logins that succeeded, by password and by token.
	Sessions       int `json:"sessions"`
	PasswordLogins int `json:"password_logins"`
	PreAuthLogins  int `json:"pre_auth_logins"`
	// TokenFallbacks are pre-auth turns that logged in by password because
	// the token could not be published (Redis down, or nobody subscribed).
	TokenFallbacks int `json:"token_fallbacks"`
	// TokenRetries are pre-auth logins refused although Redis had passed
	// the token on, and accepted with the same token tokenRetryAfter later:
	// the login overtook the token on its way through the server's event
	// stream. A token refused twice is a login failure.
	TokenRetries  int            `json:"token_retries"`
	LoginFailures map[string]int `json:"login_failures,omitempty"`
	Drops         int            `json:"drops"`
	DropReasons   map[string]int `json:"drop_reasons,omitempty"`
	Receipts      uint64         `json:"receipts"`
	// Other counts frames the soak does not know; OtherSample shows one.
	Other       uint64 `json:"other"`
	OtherSample string `json:"other_sample,omitempty"`
	Pings       uint64 `json:"pings"`
}

// Merge sums o into s.
func (s *SoakStatus) Merge(o SoakStatus) {
	s.FirstOK += o.FirstOK
	s.FirstFailed += o.FirstFailed
	s.Open += o.Open
	s.Sessions += o.Sessions
	s.PasswordLogins += o.PasswordLogins
	s.PreAuthLogins += o.PreAuthLogins
	s.TokenFallbacks += o.TokenFallbacks
	s.TokenRetries += o.TokenRetries
	s.LoginFailures = mergeCounts(s.LoginFailures, o.LoginFailures)
	s.Drops += o.Drops
	s.DropReasons = mergeCounts(s.DropReasons, o.DropReasons)
	s.Receipts += o.Receipts
	s.Other += o.Other
	if s.OtherSample == "" {
		s.OtherSample = o.OtherSample
	}
	s.Pings += o.Pings
}

func mergeCounts(a, b map[string]int) map[string]int {
	for k, v := range b {
		if a == nil {
			a = map[string]int{}
		}
		a[k] += v
	}
	return a
}

// SoakLog is a worker's whole soak: its counts and every session.
type SoakLog struct {
	Status   SoakStatus    `json:"status"`
	Sessions []SoakSession `json:"sessions"`
}

// soakRun is a soak running in a worker.
type soakRun struct {
	w      *worker
	spec   SoakSpec
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
	status   SoakStatus
	sessions []SoakSession
}

func (w *worker) handleSoak(c Command) (Reply, bool) {
	switch c.Op {
	case OpSoakStart:
		if c.Soak == nil {
			return Reply{Error: "soak-start without a spec"}, false
		}
		w.mu.Lock()
		if w.soak != nil {
			w.mu.Unlock()
			return Reply{Error: "a soak is running already"}, false
		}
		run, err := newSoakRun(w, *c.Soak)
		if err != nil {
			w.mu.Unlock()
			return Reply{Error: err.Error()}, false
		}
		w.soak = run
		w.mu.Unlock()
		st := run.start()
		return Reply{Soak: &st}, false
	case OpSoakStatus:
		w.mu.Lock()
		run := w.soak
		w.mu.Unlock()
		if run == nil {
			return Reply{Error: "no soak is running"}, false
		}
		st := run.snapshot()
		return Reply{Soak: &st}, false
	default: // OpSoakStop
		w.mu.Lock()
		run := w.soak
		w.soak = nil
		w.mu.Unlock()
		if run == nil {
			return Reply{Error: "no soak is running"}, false
		}
		log := run.end()
		return Reply{SoakLog: &log}, false
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

func newSoakRun(w *worker, spec SoakSpec) (*soakRun, error) {
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
func (s *soakRun) start() SoakStatus {
	s.first.Add(len(s.spec.Slots))
	for i, slot := range s.spec.Slots {
		s.slots.Add(1)
		go s.runSlot(slot, sourceFor(s.spec.Sources, i))
	}
	s.first.Wait()
	return s.snapshot()
}

func (s *soakRun) snapshot() SoakStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.LoginFailures = mergeCounts(nil, s.status.LoginFailures)
	st.DropReasons = mergeCounts(nil, s.status.DropReasons)
	st.Receipts = s.receipts.Load()
	st.Pings = s.pings.Load()
	return st
}

// end closes every session, waits for the slots and returns the log.
func (s *soakRun) end() SoakLog {
	close(s.stop)
	s.slots.Wait()
	s.tokens.close()
	st := s.snapshot()
	s.mu.Lock()
	defer s.mu.Unlock()
	return SoakLog{Status: st, Sessions: s.sessions}
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
func (s *soakRun) runSlot(slot SoakSlot, source string) {
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
func (s *soakRun) login(slot SoakSlot, source string, preAuth bool, timeout time.Duration) (*SoakSession, *client, error) {
	spec := ConnectSpec{URL: s.spec.URL, Listen: slot.Listen}
	if preAuth {
		prefix := fmt.Sprintf("%s%010d", s.tokenTag, s.tokenSeq.Add(1))
		// Why a token could not be published (Redis down, frozen, or nobody
		// subscribed) shows in the events' fates; here it only counts.
		if ok, _ := s.tokens.publish(slot.User, preAuthToken(prefix, slot.User)); ok {
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
		if !s.sleep(tokenRetryAfter) {
			return nil, nil, err
		}
		if c, err = s.w.login(spec, slot.User, source, timeout); err == nil {
			s.mu.Lock()
			s.status.TokenRetries++
			s.mu.Unlock()
		} else {
			err = fmt.Errorf("refused twice, %v apart: %w", tokenRetryAfter, err)
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
	sess := &SoakSession{Slot: slot.Slot, User: slot.User, Listen: slot.Listen, Churn: slot.Churn, PreAuth: preAuth,
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
func (s *soakRun) closeSession(c *client, sess *SoakSession, closing *atomic.Bool, style string) {
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
func (s *soakRun) read(c *client, sess *SoakSession, closing *atomic.Bool, done chan<- struct{}) {
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
func (s *soakRun) receive(sess *SoakSession, data []byte, now int64) {
	text := string(data)
	add := func(kind int, id int64) {
		sess.Receipts = append(sess.Receipts, int64(kind), id, now)
		s.receipts.Add(1)
	}
	switch {
	case strings.HasPrefix(text, fileIDPrefix) && strings.HasSuffix(text, "]"):
		for _, f := range strings.Split(text[len(fileIDPrefix):len(text)-1], ",") {
			id, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				s.other(text)
				continue
			}
			add(rcFileID, id)
		}
	case text == domain.TextNotifyFile:
		add(rcFile, -1)
	case text == domain.TextNotifyActivity:
		add(rcActivity, -1)
	case text == domain.TextNotifyNotification:
		add(rcNotification, -1)
	case strings.HasPrefix(text, soakMessage+" "):
		id, err := soakEventID(text[len(soakMessage)+1:])
		if err != nil {
			s.other(text)
			return
		}
		add(rcCustom, id)
	default:
		s.other(text)
	}
}

func (s *soakRun) other(text string) {
	s.mu.Lock()
	s.status.Other++
	if s.status.OtherSample == "" {
		s.status.OtherSample = truncate(text, 80)
	}
	s.mu.Unlock()
}

// soakEventID reads the id out of a custom body {"e":<id>}.
func soakEventID(body string) (int64, error) {
	rest, ok := strings.CutPrefix(body, `{"e":`)
	if !ok || !strings.HasSuffix(rest, "}") {
		return 0, fmt.Errorf("body %q carries no event id", truncate(body, 40))
	}
	return strconv.ParseInt(rest[:len(rest)-1], 10, 64)
}

func (s *soakRun) record(sess SoakSession) {
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

// tokenRetryAfter is the wait before a refused pre-auth token is tried again.
const tokenRetryAfter = 500 * time.Millisecond

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
	t.buf = appendPublish(t.buf[:0], domain.ChannelPreAuth, []byte(payload))
	if _, err := t.conn.Write(t.buf); err != nil {
		return 0, fmt.Errorf("publish a token: %w", err)
	}
	line, err := t.br.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("read Redis's answer: %w", err)
	}
	return parseIntegerReply(line)
}

// parseIntegerReply reads a RESP integer reply ":12\r\n".
func parseIntegerReply(line string) (int64, error) {
	digits, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), ":")
	if !ok {
		return 0, fmt.Errorf("Redis refused PUBLISH: %q", truncate(line, 120))
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("Redis answered %q to PUBLISH", truncate(line, 120))
	}
	return n, nil
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

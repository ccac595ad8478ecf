package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/domain"
)

// customMessage is the custom message type the load generator publishes; its
// body carries the publish time: loadgen {"t":<Unix µs>}.
const customMessage = "loadgen"

const fileIDPrefix = "notify_file_id ["

// worker holds client connections for the orchestrator and counts what
// they receive.
type worker struct {
	mu      sync.Mutex
	groups  map[string]*group
	dialers map[string]*websocket.Dialer
	// soak is the running soak, nil when none (soakworker.go).
	soak *soakRun

	received    [6]atomic.Uint64 // indexed like Received's fields
	pings       atomic.Uint64
	unmatched   atomic.Uint64
	lastReceive atomic.Int64
	latency     Histogram

	dropMu      sync.Mutex
	dropped     int
	dropReasons map[string]int
}

const (
	recvFile = iota
	recvFileIDs
	recvActivity
	recvNotification
	recvCustom
	recvOther
)

// group is the connections opened by one connect command.
type group struct {
	conns map[*client]struct{}
	wg    sync.WaitGroup
}

// client is one connection.
type client struct {
	ws      *websocket.Conn
	closing atomic.Bool // we are closing it: its end is no drop
}

func newWorker() *worker {
	return &worker{groups: map[string]*group{}, dialers: map[string]*websocket.Dialer{}, dropReasons: map[string]int{}}
}

// runWorker is "loadgen worker": commands on in, replies on out, until in
// ends or a quit command.
func runWorker(in io.Reader, out io.Writer) error {
	w := newWorker()
	defer w.closeAll()
	defer w.stopSoak()
	return readCommands(in, out, w.handle)
}

func (w *worker) handle(c Command) (Reply, bool) {
	switch c.Op {
	case OpConnect:
		if c.Connect == nil {
			return Reply{Error: "connect without a spec"}, false
		}
		res, err := w.connect(*c.Connect)
		if err != nil {
			return Reply{Error: err.Error()}, false
		}
		return Reply{Connect: &res}, false
	case OpClose:
		w.closeGroup(c.Group)
		return Reply{}, false
	case OpReset:
		w.reset()
		return Reply{}, false
	case OpCount:
		s := w.stats(false)
		return Reply{Stats: &s}, false
	case OpStats:
		s := w.stats(true)
		return Reply{Stats: &s}, false
	case OpSoakStart, OpSoakStatus, OpSoakStop:
		return w.handleSoak(c)
	case OpQuit:
		w.stopSoak()
		w.closeAll()
		return Reply{}, true
	}
	return Reply{Error: fmt.Sprintf("unknown operation %q", c.Op)}, false
}

// preAuthToken is the 32-character token of user under prefix (16 characters).
func preAuthToken(prefix string, user int) string {
	return fmt.Sprintf("%s%016d", prefix, user)
}

func (w *worker) dialer(source string, timeout time.Duration) *websocket.Dialer {
	w.mu.Lock()
	defer w.mu.Unlock()
	if d, ok := w.dialers[source]; ok {
		return d
	}
	nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: timeout}
	d := &websocket.Dialer{
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return lean(c), nil
		},
		HandshakeTimeout: timeout,
		// The messages are short; small buffers keep the clients' memory low.
		ReadBufferSize:  512,
		WriteBufferSize: 512,
	}
	w.dialers[source] = d
	return d
}

// connect opens the connections of spec, Concurrency at a time.
func (w *worker) connect(spec ConnectSpec) (ConnectResult, error) {
	if spec.Count < 0 || len(spec.Sources) == 0 || spec.URL == "" {
		return ConnectResult{}, fmt.Errorf("connect needs a URL, source addresses and a count ≥ 0")
	}
	for _, s := range spec.Sources {
		if net.ParseIP(s) == nil {
			return ConnectResult{}, fmt.Errorf("source address %q is not an IP address", s)
		}
	}
	timeout := time.Duration(spec.TimeoutMS) * time.Millisecond
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	w.mu.Lock()
	g := w.groups[spec.Group]
	if g == nil {
		g = &group{conns: map[*client]struct{}{}}
		w.groups[spec.Group] = g
	}
	w.mu.Unlock()

	var (
		mu      sync.Mutex
		res     = ConnectResult{Errors: map[string]int{}}
		latency Histogram
		next    atomic.Int64
		wg      sync.WaitGroup
		end     atomic.Int64
	)
	start := time.Now()
	res.Start = start.UnixNano()
	for range max(1, min(spec.Concurrency, spec.Count)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= spec.Count {
					return
				}
				user := spec.FirstUser + i
				t0 := time.Now()
				c, err := w.login(spec, user, sourceFor(spec.Sources, i), timeout)
				done := time.Now()
				for {
					e := end.Load()
					if done.UnixNano() <= e || end.CompareAndSwap(e, done.UnixNano()) {
						break
					}
				}
				if err != nil {
					mu.Lock()
					res.Failed++
					res.FailedUsers = append(res.FailedUsers, user)
					res.Errors[maskAddresses(err.Error())]++
					mu.Unlock()
					continue
				}
				latency.Record(uint64(done.Sub(t0).Microseconds()))
				mu.Lock()
				res.OK++
				mu.Unlock()
				w.mu.Lock()
				g.conns[c] = struct{}{}
				g.wg.Add(1)
				w.mu.Unlock()
				go w.read(g, c)
			}
		}()
	}
	wg.Wait()
	res.End = end.Load()
	res.Latency = latency.Snapshot()
	if len(res.Errors) == 0 {
		res.Errors = nil
	}
	return res, nil
}

// login dials from source and logs user in.
func (w *worker) login(spec ConnectSpec, user int, source string, timeout time.Duration) (*client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ws, resp, err := w.dialer(source, timeout).DialContext(ctx, spec.URL, nil)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	login, password := "user"+strconv.Itoa(user), "pass"+strconv.Itoa(user)
	if spec.PreAuthPrefix != "" {
		login, password = "", preAuthToken(spec.PreAuthPrefix, user)
	}
	_ = ws.SetWriteDeadline(time.Now().Add(timeout))
	_ = ws.SetReadDeadline(time.Now().Add(timeout))
	fail := func(err error) (*client, error) {
		_ = ws.Close()
		return nil, err
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(login)); err != nil {
		return fail(fmt.Errorf("send login: %w", err))
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(password)); err != nil {
		return fail(fmt.Errorf("send password: %w", err))
	}
	_, answer, err := ws.ReadMessage()
	if err != nil {
		return fail(fmt.Errorf("read login answer: %w", err))
	}
	if string(answer) != domain.TextAuthenticated {
		return fail(fmt.Errorf("server answered %q", truncate(string(answer), 80)))
	}
	if spec.Listen {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(domain.TextListenFileID)); err != nil {
			return fail(fmt.Errorf("send listen: %w", err))
		}
	}
	_ = ws.SetReadDeadline(time.Time{})
	_ = ws.SetWriteDeadline(time.Time{})
	c := &client{ws: ws}
	ws.SetPingHandler(func(data string) error {
		w.pings.Add(1)
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
		var ne net.Error
		if errors.Is(err, websocket.ErrCloseSent) || (errors.As(err, &ne) && ne.Timeout()) {
			return nil
		}
		return err
	})
	return c, nil
}

// read counts c's frames until it ends. It reads each frame into one buffer
// per connection and parses it in place: the clients share the cores with
// the server under test, so what they spend per frame shows in its figures.
func (w *worker) read(g *group, c *client) {
	defer g.wg.Done()
	buf := make([]byte, 0, 128)
	for {
		var err error
		buf, err = readFrame(c.ws, buf[:0])
		if err != nil {
			_ = c.ws.Close()
			w.mu.Lock()
			delete(g.conns, c)
			w.mu.Unlock()
			if !c.closing.Load() {
				w.dropMu.Lock()
				w.dropped++
				w.dropReasons[dropReason(err)]++
				w.dropMu.Unlock()
			}
			return
		}
		w.count(buf, time.Now())
	}
}

// readFrame appends the next message of ws to buf.
func readFrame(ws *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := ws.NextReader()
	if err != nil {
		return buf, err
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// count classifies one frame and records its latency when it carries a
// publish time.
func (w *worker) count(data []byte, now time.Time) {
	w.lastReceive.Store(now.UnixNano())
	nowUS := now.UnixMicro()
	switch {
	case bytes.HasPrefix(data, fileIDPrefixBytes) && bytes.HasSuffix(data, closingBracket):
		w.received[recvFile].Add(1)
		ids := data[len(fileIDPrefix) : len(data)-1]
		for len(ids) > 0 {
			id := ids
			if i := bytes.IndexByte(ids, ','); i >= 0 {
				id, ids = ids[:i], ids[i+1:]
			} else {
				ids = nil
			}
			w.received[recvFileIDs].Add(1)
			v, err := parseInt(id)
			w.recordSince(v, err, nowUS)
		}
	case string(data) == domain.TextNotifyFile: // these comparisons do not allocate
		w.received[recvFile].Add(1)
	case string(data) == domain.TextNotifyActivity:
		w.received[recvActivity].Add(1)
	case string(data) == domain.TextNotifyNotification:
		w.received[recvNotification].Add(1)
	case bytes.HasPrefix(data, customPrefix):
		w.received[recvCustom].Add(1)
		v, err := publishTime(data[len(customPrefix):])
		w.recordSince(v, err, nowUS)
	default:
		w.received[recvOther].Add(1)
	}
}

var (
	fileIDPrefixBytes = []byte(fileIDPrefix)
	closingBracket    = []byte("]")
	customPrefix      = []byte(customMessage + " ")
)

// parseInt reads a decimal integer, optionally negative, without the string
// strconv would need.
func parseInt(b []byte) (int64, error) {
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, fmt.Errorf("%q is not a file id", truncate(string(b), 40))
	}
	var v int64
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, fmt.Errorf("%q is not a file id", truncate(string(b), 40))
		}
		v = v*10 + int64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, nil
}

// plausibleAge bounds what counts as a publish time: older values are not ours.
const plausibleAge = int64(time.Hour / time.Microsecond)

func (w *worker) recordSince(publishedUS int64, err error, nowUS int64) {
	age := nowUS - publishedUS
	if err != nil || age > plausibleAge || age < -plausibleAge {
		w.unmatched.Add(1)
		return
	}
	w.latency.Record(uint64(max(age, 0)))
}

// publishTime reads the time out of a custom body {"t":<µs>}.
func publishTime(body []byte) (int64, error) {
	rest, ok := bytes.CutPrefix(body, []byte(`{"t":`))
	if !ok || !bytes.HasSuffix(rest, []byte("}")) {
		return 0, fmt.Errorf("body %q carries no publish time", truncate(string(body), 40))
	}
	return parseInt(rest[:len(rest)-1])
}

func (w *worker) reset() {
	for i := range w.received {
		w.received[i].Store(0)
	}
	w.pings.Store(0)
	w.unmatched.Store(0)
	w.lastReceive.Store(0)
	w.latency.Reset()
	w.dropMu.Lock()
	w.dropped = 0
	w.dropReasons = map[string]int{}
	w.dropMu.Unlock()
}

func (w *worker) stats(withLatency bool) Stats {
	s := Stats{
		Received: Received{
			File: w.received[recvFile].Load(), FileIDs: w.received[recvFileIDs].Load(),
			Activity: w.received[recvActivity].Load(), Notification: w.received[recvNotification].Load(),
			Custom: w.received[recvCustom].Load(), Other: w.received[recvOther].Load(),
		},
		Pings:       w.pings.Load(),
		Unmatched:   w.unmatched.Load(),
		LastReceive: w.lastReceive.Load(),
	}
	w.mu.Lock()
	for _, g := range w.groups {
		s.Open += len(g.conns)
	}
	w.mu.Unlock()
	w.dropMu.Lock()
	s.Dropped = w.dropped
	if len(w.dropReasons) > 0 {
		s.DropReasons = make(map[string]int, len(w.dropReasons))
		for k, v := range w.dropReasons {
			s.DropReasons[k] = v
		}
	}
	w.dropMu.Unlock()
	if withLatency {
		l := w.latency.Snapshot()
		s.Latency = &l
	}
	return s
}

// closeGroup ends every connection of name and waits until they are gone.
func (w *worker) closeGroup(name string) {
	w.mu.Lock()
	g := w.groups[name]
	delete(w.groups, name)
	var conns []*client
	if g != nil {
		for c := range g.conns {
			conns = append(conns, c)
		}
	}
	w.mu.Unlock()
	if g == nil {
		return
	}
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	for _, c := range conns {
		c.closing.Store(true)
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		_ = c.ws.Close()
	}
	g.wg.Wait()
}

func (w *worker) closeAll() {
	w.mu.Lock()
	names := make([]string, 0, len(w.groups))
	for name := range w.groups {
		names = append(names, name)
	}
	w.mu.Unlock()
	for _, name := range names {
		w.closeGroup(name)
	}
}

// addrPattern matches IPv4 addresses with an optional port, so that errors
// differing only in addresses count as one reason.
var addrPattern = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+(:\d+)?`)

func maskAddresses(s string) string {
	return addrPattern.ReplaceAllString(s, "<addr>")
}

// dropReason names why a connection ended: the close code and text the
// server sent, or the network error.
func dropReason(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Text != "" {
			return fmt.Sprintf("close %d %s", ce.Code, ce.Text)
		}
		return fmt.Sprintf("close %d", ce.Code)
	}
	return maskAddresses(err.Error())
}

package worker

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
	"github.com/notifypush/notify_push/internal/load/events"
	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/hist"
	"github.com/notifypush/notify_push/internal/load/netsrc"
	"github.com/notifypush/notify_push/internal/load/protocol"
	"github.com/notifypush/notify_push/internal/load/report"
)

// sourceFor is the address connection i of a batch dials from: round robin,
// so that each address carries at most ceil(n/len(addrs)) of n connections.
func sourceFor(addrs []string, i int) string {
	return addrs[i%len(addrs)]
}

// worker holds client connections for the orchestrator and counts what
// they receive.
type worker struct {
	mu      sync.Mutex
	groups  map[string]*group
	dialers map[string]*websocket.Dialer
	// soak is the running soak, nil when none (soak.go).
	soak *soakRun

	received    [6]atomic.Uint64 // indexed like Received's fields
	pings       atomic.Uint64
	unmatched   atomic.Uint64
	lastReceive atomic.Int64
	latency     hist.Histogram

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
	return protocol.Serve(in, out, w.handle)
}

func (w *worker) handle(c protocol.Command) (protocol.Reply, bool) {
	switch c.Op {
	case protocol.OpConnect:
		if c.Connect == nil {
			return protocol.Reply{Error: "connect without a spec"}, false
		}
		res, err := w.connect(*c.Connect)
		if err != nil {
			return protocol.Reply{Error: err.Error()}, false
		}
		return protocol.Reply{Connect: &res}, false
	case protocol.OpClose:
		w.closeGroup(c.Group)
		return protocol.Reply{}, false
	case protocol.OpReset:
		w.reset()
		return protocol.Reply{}, false
	case protocol.OpCount:
		s := w.stats(false)
		return protocol.Reply{Stats: &s}, false
	case protocol.OpStats:
		s := w.stats(true)
		return protocol.Reply{Stats: &s}, false
	case protocol.OpSoakStart, protocol.OpSoakStatus, protocol.OpSoakStop:
		return w.handleSoak(c)
	case protocol.OpQuit:
		w.stopSoak()
		w.closeAll()
		return protocol.Reply{}, true
	}
	return protocol.Reply{Error: fmt.Sprintf("unknown operation %q", c.Op)}, false
}

func (w *worker) dialer(source string, timeout time.Duration) *websocket.Dialer {
	w.mu.Lock()
	defer w.mu.Unlock()
	if d, ok := w.dialers[source]; ok {
		return d
	}
	nd := netsrc.Dialer(source, timeout)
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
func (w *worker) connect(spec protocol.ConnectSpec) (protocol.ConnectResult, error) {
	if spec.Count < 0 || spec.Stride < 0 || len(spec.Sources) == 0 || spec.URL == "" {
		return protocol.ConnectResult{}, fmt.Errorf("connect needs a URL, source addresses, a count ≥ 0 and a stride ≥ 0")
	}
	for _, s := range spec.Sources {
		if net.ParseIP(s) == nil {
			return protocol.ConnectResult{}, fmt.Errorf("source address %q is not an IP address", s)
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
		res     = protocol.ConnectResult{Errors: map[string]int{}}
		latency hist.Histogram
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
				user := spec.User(i)
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
func (w *worker) login(spec protocol.ConnectSpec, user int, source string, timeout time.Duration) (*client, error) {
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
		login, password = "", events.PreAuthToken(spec.PreAuthPrefix, user)
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
		return fail(fmt.Errorf("server answered %q", report.Truncate(string(answer), 80)))
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
		ids := data[len(events.FileIDPrefix) : len(data)-1]
		for len(ids) > 0 {
			id := ids
			if i := bytes.IndexByte(ids, ','); i >= 0 {
				id, ids = ids[:i], ids[i+1:]
			} else {
				ids = nil
			}
			w.received[recvFileIDs].Add(1)
			v, err := events.ParseInt(id)
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
		v, err := events.PublishTime(data[len(customPrefix):])
		w.recordSince(v, err, nowUS)
	default:
		w.received[recvOther].Add(1)
	}
}

var (
	fileIDPrefixBytes = []byte(events.FileIDPrefix)
	closingBracket    = []byte("]")
	customPrefix      = []byte(events.CustomMessage + " ")
)

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

func (w *worker) stats(withLatency bool) protocol.Stats {
	s := protocol.Stats{
		Received: protocol.Received{
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

// Main is "loadgen worker".
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if _, err := harness.RaiseFileLimit(); err != nil {
		fmt.Fprintf(stderr, "loadgen worker: %v\n", err)
		return 1
	}
	if len(args) > 0 && args[0] == protocol.BatchFlag {
		if err := harness.SetScheduling(harness.SchedBatch); err != nil {
			fmt.Fprintf(stderr, "loadgen worker: %v (try --client-sched normal)\n", err)
			return 1
		}
	}
	if err := runWorker(stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "loadgen worker: %v\n", err)
		return 1
	}
	return 0
}

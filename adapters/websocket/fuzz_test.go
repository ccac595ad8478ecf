package websocket

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// pipeListener serves HTTP over in-memory connections, so that a fuzzer's
// thousands of logins a second exhaust no ephemeral ports.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// fuzzGateway decides logins by the trimmed frames the handler passes on:
// password "pw" logs any non-empty login in, the password "tok" is a
// pre-auth token for any login; a few logins stand for the other outcomes.
type fuzzGateway struct {
	mu       sync.Mutex
	sessions []*fakeFuzzSession
}

type fakeFuzzSession struct {
	listen atomic.Int32
	closed atomic.Int32
}

func (s *fakeFuzzSession) ListenFileIDs() { s.listen.Add(1) }
func (s *fakeFuzzSession) Close()         { s.closed.Add(1) }

var errSlowNextcloud = errors.New("Nextcloud did not answer")

func (g *fuzzGateway) Check(ctx context.Context, login, password string, _ []string) (domain.UserID, error) {
	switch {
	case password == "tok":
		return "preauth", nil
	case login == "":
		return "", domain.ErrInvalidCredentials
	case login == "down":
		return "", &domain.NextcloudError{Err: errors.New("Server error: 503 Service Unavailable"), Status: 503}
	case login == "storm":
		return "", domain.ErrTooManyLogins
	case login == "slow":
		<-ctx.Done()
		return "", &domain.NextcloudError{Err: errSlowNextcloud}
	case password == "pw":
		return domain.UserID(login), nil
	}
	return "", domain.ErrInvalidCredentials
}

func (g *fuzzGateway) Attach(user domain.UserID, _ ports.ClientConn) (ports.Session, error) {
	if user == "full" {
		return nil, domain.ErrConnectionLimit
	}
	s := &fakeFuzzSession{}
	g.mu.Lock()
	g.sessions = append(g.sessions, s)
	g.mu.Unlock()
	return s, nil
}

// allClosed reports whether every attached session has been closed.
func (g *fuzzGateway) allClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.sessions {
		if s.closed.Load() == 0 {
			return false
		}
	}
	return true
}

func (g *fuzzGateway) takeSessions() []*fakeFuzzSession {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.sessions
	g.sessions = nil
	return s
}

// expectedAnswer is what the server must say to the frames, or "" when it
// must close without a word (a frame over the read limit).
func expectedAnswer(first, second []byte, mode uint8) string {
	if len(first) > fuzzReadLimit {
		return ""
	}
	if mode&modeFirstBinary != 0 || !utf8.Valid(first) {
		return "err: Invalid authentication message"
	}
	if mode&modeNoSecond != 0 {
		return domain.TextAuthenticationTimeout
	}
	if len(second) > fuzzReadLimit {
		return ""
	}
	if mode&modeSecondBinary != 0 || !utf8.Valid(second) {
		return "err: Invalid authentication message"
	}
	login, password := strings.TrimSpace(string(first)), strings.TrimSpace(string(second))
	switch {
	case password == "tok":
		return domain.TextAuthenticated
	case login == "":
		return "err: Invalid credentials"
	case login == "down":
		return "err: Error while sending authentication request to nextcloud: Server error: 503 Service Unavailable"
	case login == "storm":
		return "err: Too many concurrent logins, try again later"
	case login == "slow":
		return domain.TextAuthenticationTimeout
	case password == "pw" && login == "full":
		return "err: Connection limit exceeded for user"
	case password == "pw":
		return domain.TextAuthenticated
	}
	return "err: Invalid credentials"
}

// Bits of the fuzzer's mode byte.
const (
	modeFirstBinary  = 1 << iota // the first frame is binary
	modeSecondBinary             // the second frame is binary
	modeNoSecond                 // the client never sends the second frame
	modeAbrupt                   // the client drops the connection after its frames, reading nothing
	modeTCP                      // over loopback TCP (the readiness poller's path) instead of a pipe
)

const (
	fuzzReadLimit   = 4096
	fuzzAuthTimeout = 100 * time.Millisecond
	// maxCommands bounds the frames sent after authentication.
	maxCommands = 16
)

// FuzzLogin drives the real handler with arbitrary login frames, frame kinds
// and commands, over in-memory pipes or loopback TCP. The server must give the one answer the protocol has for
// them (or close on an oversized frame), never panic, and end the
// connection's goroutine once the client is gone.
func FuzzLogin(f *testing.F) {
	f.Add([]byte("alice"), []byte("pw"), []byte("listen notify_file_id"), uint8(0))
	f.Add([]byte("  alice \n"), []byte("\tpw "), []byte("listen notify_file_id\nlisten notify_file_id\nhello"), uint8(0))
	f.Add([]byte(""), []byte("tok"), []byte(" listen notify_file_id "), uint8(0))
	f.Add([]byte("alice"), []byte("wrong"), []byte(""), uint8(0))
	f.Add([]byte(""), []byte("pw"), []byte(""), uint8(0))
	f.Add([]byte("alice"), []byte("pw"), []byte(""), uint8(modeFirstBinary))
	f.Add([]byte("alice"), []byte("pw"), []byte(""), uint8(modeSecondBinary))
	f.Add([]byte("alice"), []byte("pw"), []byte(""), uint8(modeNoSecond))
	f.Add([]byte("alice"), []byte("pw"), []byte("listen notify_file_id"), uint8(modeAbrupt))
	f.Add([]byte("\xff\xfe"), []byte("pw"), []byte(""), uint8(0))
	f.Add([]byte("alice"), []byte("p\xc3\x28"), []byte(""), uint8(0))
	f.Add([]byte("down"), []byte("pw"), []byte(""), uint8(0))
	f.Add([]byte("storm"), []byte("pw"), []byte(""), uint8(0))
	f.Add([]byte("slow"), []byte("pw"), []byte(""), uint8(0))
	f.Add([]byte("full"), []byte("pw"), []byte(""), uint8(0))
	f.Add(bytes.Repeat([]byte("a"), fuzzReadLimit+1), []byte("pw"), []byte(""), uint8(0))
	f.Add([]byte("alice"), bytes.Repeat([]byte("p"), fuzzReadLimit+1), []byte(""), uint8(0))
	f.Add([]byte("alice"), []byte("pw"), append([]byte("listen notify_file_id\n"), bytes.Repeat([]byte("x"), fuzzReadLimit+1)...), uint8(0))
	f.Add([]byte("alice"), []byte("pw"), []byte("listen notify_file_id"), uint8(modeTCP))
	f.Add([]byte("alice"), []byte("pw"), []byte(""), uint8(modeTCP|modeNoSecond))
	f.Add([]byte("alice"), []byte("pw"), []byte("listen notify_file_id"), uint8(modeTCP|modeAbrupt))

	gw := &fuzzGateway{}
	h := New(gw, Options{AuthTimeout: fuzzAuthTimeout, ReadLimit: fuzzReadLimit, WriteTimeout: 2 * time.Second},
		domain.NewCounters(), slog.New(slog.DiscardHandler))
	var active atomic.Int64
	mux := http.NewServeMux()
	h.Register(mux)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		active.Add(1)
		defer active.Add(-1)
		mux.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 5 * time.Second}
	ln := newPipeListener()
	served := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(served) }()
	tcp := httptest.NewServer(srv.Handler)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { _ = h.Run(ctx); close(ran) }()
	f.Cleanup(func() {
		cancel()
		<-ran
		_ = srv.Close()
		<-served
		tcp.CloseClientConnections()
		tcp.Close()
	})
	pipeDialer := &websocket.Dialer{NetDialContext: ln.dial, HandshakeTimeout: 5 * time.Second}
	tcpDialer := &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	tcpURL := "ws" + strings.TrimPrefix(tcp.URL, "http") + "/ws"

	f.Fuzz(func(t *testing.T, first, second, commands []byte, mode uint8) {
		dialer, url := pipeDialer, "ws://fuzz/ws"
		if mode&modeTCP != 0 {
			dialer, url = tcpDialer, tcpURL
		}
		answers, readErr := fuzzSession(t, dialer, url, first, second, commands, mode)
		// The server must let go of the connection, whatever happened.
		deadline := time.Now().Add(5 * time.Second)
		for active.Load() != 0 || h.Connections() != 0 || !gw.allClosed() {
			if time.Now().After(deadline) {
				t.Fatalf("connection still served 5 s after the client left (%d handlers, %d connections)",
					active.Load(), h.Connections())
			}
			time.Sleep(time.Millisecond)
		}
		sessions := gw.takeSessions()
		for _, s := range sessions {
			if s.closed.Load() != 1 {
				t.Fatalf("session closed %d times", s.closed.Load())
			}
		}
		if mode&modeAbrupt != 0 {
			return // the client read nothing; the checks above are the point
		}
		want := expectedAnswer(first, second, mode)
		if want == "" {
			if len(answers) != 0 {
				t.Fatalf("oversized frame answered %q", answers)
			}
			return
		}
		if len(answers) == 0 {
			t.Fatalf("no answer (client read error %v); want %q", readErr, want)
		}
		if answers[0] != want {
			t.Fatalf("answer %q, want %q", answers[0], want)
		}
		if want != domain.TextAuthenticated {
			if len(answers) != 1 || !websocket.IsCloseError(readErr, websocket.CloseNormalClosure) {
				t.Fatalf("after a refusal: frames %q, close %v; want one frame and a normal close", answers, readErr)
			}
			if len(sessions) != 0 {
				t.Fatal("a refused login was attached")
			}
			return
		}
		if len(sessions) != 1 {
			t.Fatalf("%d sessions for one login", len(sessions))
		}
		if want, got := listenFrames(commands), sessions[0].listen.Load(); want >= 0 && int32(want) != got {
			t.Fatalf("%d listen frames sent, %d seen", want, got)
		}
	})
}

// fuzzSession logs in with the frames, sends the commands when authenticated,
// closes, and returns the text frames the server sent and why reading ended.
func fuzzSession(t *testing.T, dialer *websocket.Dialer, url string, first, second, commands []byte, mode uint8) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := dialer.DialContext(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.Close()
	// A reader of its own from the start: over a pipe nothing is buffered,
	// so the server's answer and the client's writes must not wait for
	// each other.
	msgs := make(chan string, 64)
	var readErr error
	go func() {
		defer close(msgs)
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				readErr = err
				return
			}
			msgs <- string(msg)
		}
	}()
	_ = ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	kind := func(bit uint8) int {
		if mode&bit != 0 {
			return websocket.BinaryMessage
		}
		return websocket.TextMessage
	}
	// Write errors are ignored: the server may close at any frame.
	_ = ws.WriteMessage(kind(modeFirstBinary), first)
	if mode&modeNoSecond == 0 {
		_ = ws.WriteMessage(kind(modeSecondBinary), second)
	}
	if mode&modeAbrupt != 0 {
		for _, c := range splitCommands(commands) {
			_ = ws.WriteMessage(websocket.TextMessage, c)
		}
		_ = ws.Close() // gone without a close frame, answer unread
		for range msgs {
		}
		return nil, nil
	}

	var answers []string
	select {
	case m, ok := <-msgs:
		if !ok {
			return nil, readErr
		}
		answers = append(answers, m)
	case <-ctx.Done():
		t.Fatal("no answer and no close within 10 s")
	}
	if answers[0] == domain.TextAuthenticated {
		for _, c := range splitCommands(commands) {
			if ws.WriteMessage(websocket.TextMessage, c) != nil {
				break
			}
		}
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	}
	for m := range msgs {
		answers = append(answers, m)
	}
	return answers, readErr
}

func splitCommands(commands []byte) [][]byte {
	if len(commands) == 0 {
		return nil
	}
	return bytes.SplitN(commands, []byte("\n"), maxCommands)
}

// listenFrames counts the listen commands the server must have seen, or -1
// when a frame over the read limit ends the connection midway.
func listenFrames(commands []byte) int {
	n := 0
	for _, c := range splitCommands(commands) {
		if len(c) > fuzzReadLimit {
			return -1
		}
		if strings.TrimSpace(string(c)) == domain.TextListenFileID {
			n++
		}
	}
	return n
}

// Keep the pipe dialer honest: it carries a whole HTTP exchange.
func TestPipeListenerCarriesHTTP(t *testing.T) {
	ln := newPipeListener()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}), ReadHeaderTimeout: time.Second}
	done := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(done) }()
	defer func() { _ = srv.Close(); <-done }()
	c, err := ln.dial(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != "ok" {
		t.Fatalf("body %q", body)
	}
}

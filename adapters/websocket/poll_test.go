package websocket

import (
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/adapters/websocket/fastpath"
	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/process"
	"github.com/notifypush/notify_push/internal/testenv"
)

// RFC 6455 opcodes of the frames tests build by hand.
const (
	opContinuation = 0x0
	opText         = 0x1
	opPing         = 0x9
)

// clientFrame encodes one masked client frame by hand, so that tests can
// send what gorilla's client would not: fragments, bad bits, byte dribbles.
func clientFrame(b0 byte, payload []byte) []byte {
	var out []byte
	out = append(out, b0)
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n < 1<<16:
		out = append(out, 0x80|126, byte(n>>8), byte(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i&3])
	}
	return out
}

func (c *client) raw(b []byte) {
	c.t.Helper()
	if _, err := c.ws.NetConn().Write(b); err != nil {
		c.t.Fatalf("raw write: %v", err)
	}
}

func waitListen(t *testing.T, s *fakeSession) {
	t.Helper()
	waitFor(t, func() bool { return s.listen.Load() > 0 })
}

// Modes runs f against the poller (where the platform has one) and against
// the goroutine-per-connection reader.
func modes(t *testing.T, f func(t *testing.T, opts Options)) {
	t.Run("poller", func(t *testing.T) { f(t, Options{}) })
	t.Run("goroutine", func(t *testing.T) { f(t, Options{NoPoller: true}) })
}

func TestCommandInFragmentsAndDribbles(t *testing.T) {
	modes(t, func(t *testing.T, opts Options) {
		s := start(t, opts)
		c := s.login("alice")
		_, session := s.gw.last()
		// A fragmented command: text frame without FIN, then a continuation,
		// with a ping between them as RFC 6455 allows.
		var frames []byte
		frames = append(frames, clientFrame(byte(opText), []byte("listen notify"))...)
		frames = append(frames, clientFrame(0x80|opPing, []byte("mid"))...)
		frames = append(frames, clientFrame(0x80|opContinuation, []byte("_file_id"))...)
		c.raw(frames)
		waitListen(t, session)

		// The same command one byte at a time.
		c2 := s.login("bob")
		_, session2 := s.gw.last()
		for _, b := range clientFrame(0x80|opText, []byte(" listen notify_file_id ")) {
			c2.raw([]byte{b})
			time.Sleep(2 * time.Millisecond)
		}
		waitListen(t, session2)
		conn, _ := s.gw.last()
		conn.Send(custom("after dribble"))
		c2.expect("after dribble")
		_ = c
	})
}

func TestLongAndBinaryMessagesAreIgnored(t *testing.T) {
	modes(t, func(t *testing.T, opts Options) {
		s := start(t, opts)
		c := s.login("alice")
		conn, session := s.gw.last()
		c.send(websocket.TextMessage, strings.Repeat("listen notify_file_id ", 150)) // 3.3 kB: past the buffer
		c.send(websocket.BinaryMessage, "listen notify_file_id")
		c.send(websocket.TextMessage, strings.Repeat("x", 600))
		conn.Send(custom("still open"))
		c.expect("still open")
		if session.listen.Load() != 0 {
			t.Fatal("a long or binary message was taken for the command")
		}
		c.send(websocket.TextMessage, "listen notify_file_id")
		waitListen(t, session)
	})
}

// After the login, a message past the read limit is answered with 1009, in
// one frame or in fragments, and ends only that connection.
func TestMessagePastTheReadLimitAfterLogin(t *testing.T) {
	modes(t, func(t *testing.T, opts Options) {
		opts.ReadLimit = 1000
		s := start(t, opts)
		good := s.login("good")
		goodConn, _ := s.gw.last()
		for name, frames := range map[string][]byte{
			"one frame": clientFrame(0x80|opText, bytes.Repeat([]byte("x"), 1001)),
			"fragments": append(clientFrame(byte(opText), bytes.Repeat([]byte("x"), 600)),
				clientFrame(0x80|opContinuation, bytes.Repeat([]byte("x"), 401))...),
		} {
			t.Run(name, func(t *testing.T) {
				c := s.login("bad")
				_, session := s.gw.last()
				c.raw(frames)
				if err := c.closed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
					t.Fatalf("got %v, want a message-too-big close", err)
				}
				waitFor(t, func() bool { return session.closed.Load() == 1 })
			})
		}
		goodConn.Send(custom("unaffected"))
		good.expect("unaffected")
	})
}

func TestClientPingGetsPong(t *testing.T) {
	modes(t, func(t *testing.T, opts Options) {
		s := start(t, opts)
		c := s.dial(nil)
		pong := make(chan string, 1)
		c.ws.SetPongHandler(func(data string) error { pong <- data; return nil })
		c.read()
		c.send(websocket.TextMessage, "alice")
		c.send(websocket.TextMessage, "pw")
		c.expect("authenticated")
		if err := c.ws.WriteControl(websocket.PingMessage, []byte("hello"), time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-pong:
			if got != "hello" {
				t.Fatalf("pong %q", got)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no pong")
		}
	})
}

func TestClientCloseIsAnsweredAndDetaches(t *testing.T) {
	modes(t, func(t *testing.T, opts Options) {
		s := start(t, opts)
		c := s.login("alice")
		_, session := s.gw.last()
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")
		if err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := c.closed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
			t.Fatalf("close answer: %v", err)
		}
		waitFor(t, func() bool { return session.closed.Load() == 1 })
		waitFor(t, func() bool { return s.h.Connections() == 0 })
	})
}

func TestProtocolErrorsCloseOnlyThatClient(t *testing.T) {
	bad := map[string][]byte{
		"unmasked frame": {0x81, 0x02, 'h', 'i'},
		"reserved bits":  clientFrame(0x80|0x40|opText, []byte("hi")),
		"unknown opcode": clientFrame(0x80|0x3, []byte("hi")),
		"long ping":      clientFrame(0x80|opPing, bytes.Repeat([]byte("p"), 126)),
		"stray fragment": clientFrame(0x80|opContinuation, []byte("hi")),
	}
	modes(t, func(t *testing.T, opts Options) {
		s := start(t, opts)
		good := s.login("good")
		goodConn, _ := s.gw.last()
		for name, frame := range bad {
			t.Run(name, func(t *testing.T) {
				c := s.login("bad")
				c.raw(frame)
				if err := c.closed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseProtocolError) {
					t.Fatalf("got %v, want a protocol-error close", err)
				}
			})
		}
		goodConn.Send(custom("unaffected"))
		good.expect("unaffected")
	})
}

func TestPeerVanishingDetachesIdleConnection(t *testing.T) {
	modes(t, func(t *testing.T, opts Options) {
		s := start(t, opts)
		c := s.login("alice")
		_, session := s.gw.last()
		_ = c.ws.NetConn().(*net.TCPConn).SetLinger(0)
		_ = c.ws.Close() // no close frame: a FIN or RST only
		waitFor(t, func() bool { return session.closed.Load() == 1 && s.h.Connections() == 0 })
	})
}

// An idle connection costs no goroutine where there is a poller; this is
// what keeps memory per idle client small.
func TestIdleConnectionsHoldNoGoroutine(t *testing.T) {
	if !fastpath.Supported {
		if testenv.InCI() {
			t.Fatal("CI runs on Linux, which has the readiness poller; this build has none")
		}
		t.Skip("no readiness poller on this platform")
	}
	s := start(t, Options{})
	before := runtime.NumGoroutine()
	const n = 100
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = s.login("user")
	}
	time.Sleep(100 * time.Millisecond) // writers of "early" end
	// The test's own client readers are one goroutine each.
	if grew := runtime.NumGoroutine() - before - n; grew > 10 {
		t.Fatalf("%d idle connections hold %d server goroutines", n, grew)
	}
	conns := s.gw.conns
	for _, c := range conns[len(conns)-n:] {
		c.Send(custom("wake"))
	}
	for _, c := range clients {
		c.expect("wake")
	}
}

// Every idle connection holds a conn: it must stay in the 224-byte size
// class (288 before its fields were packed).
func TestConnStaysSmall(t *testing.T) {
	if size := unsafe.Sizeof(conn{}); size > 224 {
		t.Fatalf("a conn takes %d bytes, want at most 224", size)
	}
}

// Refusals say why at info level, once a minute per address; login failures
// name the login and the client; disconnects stay at debug.
func TestRefusalsAndFailuresAreExplainedOnce(t *testing.T) {
	var logs process.Buffer
	gw := &fakeGateway{}
	h := New(gw, Options{}, domain.NewCounters(), slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	mux := http.NewServeMux()
	h.Register(mux)
	ts := httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; ts.Close() })

	for range 3 {
		req, _ := http.NewRequest("GET", ts.URL+"/push/ws", nil)
		req.Header.Set("Connection", "keep-alive")
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	s := &server{t: t, gw: gw, h: h, url: "ws" + strings.TrimPrefix(ts.URL, "http")}
	for range 3 {
		c := s.dial(nil).read()
		c.send(websocket.TextMessage, "mallory")
		c.send(websocket.TextMessage, "guess")
		c.expect("err: Invalid credentials")
	}
	good := s.login("alice")
	_ = good.ws.Close()
	waitFor(t, func() bool { return h.Connections() == 0 })

	out := logs.String()
	if n := strings.Count(out, "WebSocket upgrade refused"); n != 1 {
		t.Fatalf("%d refusal lines, want 1 (rate-limited):\n%s", n, out)
	}
	for _, want := range []string{"Upgrade: websocket", "proxy_set_header Upgrade", "X-Forwarded-For", "docs/deployment.md#reverse-proxy"} {
		if !strings.Contains(out, want) {
			t.Errorf("refusal line lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "login failed"); n != 1 {
		t.Fatalf("%d login-failure lines, want 1 (rate-limited):\n%s", n, out)
	}
	if !strings.Contains(out, "login=mallory client=127.0.0.1") || !strings.Contains(out, "level=WARN") {
		t.Errorf("login failure line lacks the login, the client or the level:\n%s", out)
	}
	if strings.Contains(out, "guess") || strings.Contains(out, "disconnected") {
		t.Errorf("password or an ordinary disconnect logged above debug:\n%s", out)
	}
}

// Package wstest is the WebSocket client of the module's tests: it speaks the
// push protocol as a Nextcloud client does (text frames, a login of two
// frames) and lets a test wait for a message, for silence or for the close.
// Tests about frames themselves (fragments, pings, binary data) drive
// gorilla/websocket directly instead.
package wstest

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Wait bounds Expect, Login, ExpectClose and each write: generous, for a
// loaded machine running tests under -race.
const Wait = 5 * time.Second

// Client is one WebSocket connection. A goroutine of its own reads every
// frame into a queue, so that waiting for silence never sets a read
// deadline (a gorilla connection is unusable after one expires). Use it from
// the test's goroutine; it is closed when the test ends.
type Client struct {
	t    testing.TB
	conn *websocket.Conn
	msgs chan string
	stop chan struct{}
	done chan struct{} // closed once reading stopped
	err  error         // why reading stopped; set before done is closed
	once sync.Once
}

// Dial connects to url (ws:// or wss://) with default settings.
func Dial(t testing.TB, url string) *Client {
	t.Helper()
	return DialWith(t, nil, url, nil)
}

// DialWith connects to url with dialer (TLS settings, a local address...;
// nil for a default one) and extra request headers (may be nil). A refused
// upgrade fails the test, naming the HTTP status.
func DialWith(t testing.TB, dialer *websocket.Dialer, url string, header http.Header) *Client {
	t.Helper()
	if dialer == nil {
		dialer = &websocket.Dialer{HandshakeTimeout: Wait}
	}
	conn, resp, err := dialer.Dial(url, header)
	if err != nil {
		status := "no HTTP answer"
		if resp != nil {
			status = "HTTP " + resp.Status
		}
		t.Fatalf("WebSocket upgrade at %s: %v (%s)", url, err, status)
	}
	c := &Client{t: t, conn: conn, msgs: make(chan string, 256), stop: make(chan struct{}), done: make(chan struct{})}
	go c.read()
	t.Cleanup(c.Close)
	return c
}

func (c *Client) read() {
	// done first: once Next sees the queue closed, Ended and Err know why.
	defer close(c.msgs)
	defer close(c.done)
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		select {
		case c.msgs <- string(msg):
		case <-c.stop:
			c.err = errors.New("closed by the test")
			return
		}
	}
}

// Send writes one text frame.
func (c *Client) Send(text string) {
	c.t.Helper()
	c.write(websocket.TextMessage, []byte(text))
}

// SendBinary writes one binary frame, which the protocol does not use.
func (c *Client) SendBinary(data []byte) {
	c.t.Helper()
	c.write(websocket.BinaryMessage, data)
}

func (c *Client) write(kind int, data []byte) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(Wait))
	if err := c.conn.WriteMessage(kind, data); err != nil {
		c.t.Fatalf("send %q: %v", data, err)
	}
}

// SendCredentials sends the two frames of a login, without waiting for the
// answer.
func (c *Client) SendCredentials(login, password string) {
	c.t.Helper()
	c.Send(login)
	c.Send(password)
}

// Login sends the credentials and expects "authenticated".
func (c *Client) Login(login, password string) {
	c.t.Helper()
	c.SendCredentials(login, password)
	c.Expect("authenticated")
}

// Next returns the next message; ok is false when none came within d or
// the connection has ended (Ended tells which).
func (c *Client) Next(d time.Duration) (msg string, ok bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case msg, ok = <-c.msgs:
		return msg, ok
	case <-timer.C:
		return "", false
	}
}

// Expect fails the test unless the next message, within Wait, is want.
func (c *Client) Expect(want string) {
	c.t.Helper()
	if got, ok := c.Next(Wait); !ok || got != want {
		c.t.Fatalf("got %q (%s), want %q", got, c.state(ok), want)
	}
}

// ExpectNothing fails the test if a message arrives within window. The
// connection ending meanwhile is not a message.
func (c *Client) ExpectNothing(window time.Duration) {
	c.t.Helper()
	if got, ok := c.Next(window); ok {
		c.t.Fatalf("unexpected message %q within %s", got, window)
	}
}

// ExpectClose waits up to Wait for the server to end the connection, skipping
// messages that come first, and fails the test unless it sent a close
// frame with code.
func (c *Client) ExpectClose(code int) {
	c.t.Helper()
	deadline := time.NewTimer(Wait)
	defer deadline.Stop()
	for open := true; open; {
		select {
		case _, open = <-c.msgs:
		case <-deadline.C:
			c.t.Fatalf("connection still open after %s, want close %d", Wait, code)
		}
	}
	if got := c.CloseCode(); got != code {
		c.t.Fatalf("connection ended with %v, want close %d", c.err, code)
	}
}

// Ended reports whether the connection has ended (the messages received
// before may still be queued).
func (c *Client) Ended() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Err is why the connection ended, nil while it is open.
func (c *Client) Err() error {
	if !c.Ended() {
		return nil
	}
	return c.err
}

// CloseCode is the code of the server's close frame once the connection has
// ended, 0 while it is open or when it ended without one.
func (c *Client) CloseCode() int {
	var ce *websocket.CloseError
	if errors.As(c.Err(), &ce) {
		return ce.Code
	}
	return 0
}

// Close sends a normal close frame and closes the connection; it is safe to
// call more than once.
func (c *Client) Close() {
	c.once.Do(func() {
		_ = c.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		close(c.stop)
		_ = c.conn.Close()
		<-c.done
	})
}

func (c *Client) state(ok bool) string {
	switch {
	case ok:
		return "open"
	case c.Ended():
		return "ended: " + c.err.Error()
	default:
		return "nothing within " + Wait.String()
	}
}

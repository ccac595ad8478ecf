package pushclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/domain"
)

// Conn is one client connection to the push server. One goroutine reads the
// socket from Connect until the connection ends, so that a close frame can
// be waited for after a read was abandoned.
type Conn struct {
	ws      *websocket.Conn
	timeout time.Duration
	msgs    chan string
	done    chan struct{}
	err     error // why reading ended; set before done is closed

	writeMu   sync.Mutex
	abortOnce sync.Once
	aborted   chan struct{}
}

func newConn(ws *websocket.Conn, timeout time.Duration) *Conn {
	c := &Conn{ws: ws, timeout: timeout, msgs: make(chan string, 64), done: make(chan struct{}),
		aborted: make(chan struct{})}
	go c.read()
	return c
}

func (c *Conn) read() {
	defer close(c.done)
	for {
		typ, msg, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.err = &domain.PushClosed{Code: ce.Code, Reason: ce.Text}
			} else {
				c.err = &domain.PushClosed{Code: websocket.CloseAbnormalClosure, Reason: err.Error()}
			}
			return
		}
		if typ != websocket.TextMessage {
			continue // the protocol has only text messages
		}
		select {
		case c.msgs <- string(msg):
		case <-c.aborted:
			return
		}
	}
}

// Send writes one text frame.
func (c *Conn) Send(text string) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.timeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// Read returns the next text message. When the connection ends it returns a
// *domain.PushClosed; when ctx ends, ctx's error (the connection stays usable).
func (c *Conn) Read(ctx context.Context) (string, error) {
	select {
	case m := <-c.msgs:
		return m, nil
	default:
	}
	select {
	case m := <-c.msgs:
		return m, nil
	case <-c.done:
		select {
		case m := <-c.msgs: // delivered before the end
			return m, nil
		default:
		}
		return "", c.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Login sends the login and the password as two frames and waits for the
// answer: nil on "authenticated", a *domain.PushRefusal on "err: ...".
func (c *Conn) Login(ctx context.Context, login, password string) error {
	if err := c.Send(login); err != nil {
		return err
	}
	if err := c.Send(password); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	answer, err := c.Read(ctx)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no answer to the login within %v", c.timeout)
	case err != nil:
		return err
	case answer == "authenticated":
		return nil
	case strings.HasPrefix(answer, "err: "):
		return &domain.PushRefusal{Text: strings.TrimPrefix(answer, "err: ")}
	default:
		return fmt.Errorf("unexpected answer to the login: %q", answer)
	}
}

// Close sends a normal close frame, waits (within ctx and the timeout) for
// the server's answering close frame, then closes the connection.
func (c *Conn) Close(ctx context.Context) error {
	deadline := time.Now().Add(c.timeout)
	c.writeMu.Lock()
	err := c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline)
	c.writeMu.Unlock()
	if err == nil {
		timer := time.NewTimer(time.Until(deadline))
		select {
		case <-c.done:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
	}
	c.Abort()
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		return fmt.Errorf("send close frame: %w", err)
	}
	return nil
}

// Abort closes the connection without a close frame and waits for the
// reader to stop.
func (c *Conn) Abort() {
	c.abortOnce.Do(func() {
		close(c.aborted)
		_ = c.ws.Close()
	})
	<-c.done
}

package wstest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// pushLike answers a login of two frames ("pw" is the only good password),
// then "echo X" with X and "close N" with a close frame of code N. The first
// answer carries the User-Agent the upgrade had, to check DialWith's headers.
func pushLike(t *testing.T) string {
	upgrader := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		var frames []string
		for {
			_, m, err := ws.ReadMessage()
			if err != nil {
				return
			}
			frames = append(frames, string(m))
			switch cmd, arg, _ := strings.Cut(string(m), " "); {
			case len(frames) == 2 && frames[1] == "pw":
				_ = ws.WriteMessage(websocket.TextMessage, []byte("authenticated"))
			case len(frames) == 2:
				_ = ws.WriteMessage(websocket.TextMessage, []byte("err: Invalid credentials "+r.UserAgent()))
			case cmd == "echo":
				_ = ws.WriteMessage(websocket.TextMessage, []byte(arg))
			case cmd == "close":
				code, _ := strconv.Atoi(arg)
				_ = ws.WriteMessage(websocket.TextMessage, []byte("last words"))
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func TestClientSpeaksThePushProtocol(t *testing.T) {
	url := pushLike(t)
	c := Dial(t, url)
	c.Login("alice", "pw")
	c.Send("echo one")
	c.Send("echo two")
	c.Expect("one")
	if got, ok := c.Next(Wait); !ok || got != "two" {
		t.Fatalf("Next = %q %v, want two", got, ok)
	}
	c.ExpectNothing(50 * time.Millisecond)
	if c.Ended() || c.Err() != nil || c.CloseCode() != 0 {
		t.Fatalf("an open connection reads as ended: %v %v %d", c.Ended(), c.Err(), c.CloseCode())
	}

	// The message before the close frame is skipped.
	c.Send("close 1012")
	c.ExpectClose(websocket.CloseServiceRestart)
	if !c.Ended() || c.CloseCode() != websocket.CloseServiceRestart {
		t.Fatalf("after the close: ended %v, code %d", c.Ended(), c.CloseCode())
	}
	if _, ok := c.Next(time.Second); ok {
		t.Fatal("a message after the end")
	}
}

func TestClientDialsWithHeadersAndCloses(t *testing.T) {
	url := pushLike(t)
	c := DialWith(t, &websocket.Dialer{HandshakeTimeout: time.Second}, url, http.Header{"User-Agent": {"mirall/3.14"}})
	c.SendCredentials("alice", "wrong")
	c.Expect("err: Invalid credentials mirall/3.14")

	c.Close()
	c.Close() // again: harmless
	if !c.Ended() || c.Err() == nil {
		t.Fatalf("closed by the test: ended %v, %v", c.Ended(), c.Err())
	}
}

package httpapi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A kept-alive connection that sends no further request used to stay open
// for good; it is now closed after IdleTimeout. A WebSocket connection,
// hijacked at the upgrade, keeps going however long it idles.
func TestIdleConnectionsTimeOutButWebSocketsDoNot(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hi") })
	upgrader := websocket.Upgrader{}
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			kind, msg, err := ws.ReadMessage()
			if err != nil || ws.WriteMessage(kind, msg) != nil {
				return
			}
		}
	})
	const idle = 200 * time.Millisecond
	srv := NewServer(ListenOptions{Bind: "127.0.0.1", IdleTimeout: idle, ReadHeaderTimeout: idle}, mux, discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-srv.Ready()
	addr := srv.Addr().String()

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_ = c.SetReadDeadline(time.Now().Add(20 * idle))
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("an idle kept-alive connection: %v, want it closed by the server", err)
	}

	// Headers that never finish are cut off too.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "GET /hello HTTP/1.1\r\nHost: x\r\n")
	_ = slow.SetReadDeadline(time.Now().Add(20 * idle))
	if _, err := io.ReadAll(slow); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal(err)
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("unfinished headers kept the connection open")
	}

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	time.Sleep(3 * idle)
	if err := ws.WriteMessage(websocket.TextMessage, []byte("still")); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, msg, err := ws.ReadMessage(); err != nil || !strings.EqualFold(string(msg), "still") {
		t.Fatalf("WebSocket after idling past the timeout: %q %v", msg, err)
	}
}

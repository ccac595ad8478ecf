package websocket

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/domain"
)

func benchServer(b *testing.B, opts Options) (*Handler, *fakeGateway, string) {
	s := serve(b, opts)
	return s.h, s.gw, s.url + "/ws"
}

// BenchmarkLogin is one whole login: upgrade, the two auth frames, the
// gateway, "authenticated" (client side included).
func BenchmarkLogin(b *testing.B) {
	_, _, url := benchServer(b, Options{})
	b.ReportAllocs()
	for b.Loop() {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		_ = ws.WriteMessage(websocket.TextMessage, []byte("alice"))
		_ = ws.WriteMessage(websocket.TextMessage, []byte("pw"))
		if _, m, err := ws.ReadMessage(); err != nil || string(m) != domain.TextAuthenticated {
			b.Fatalf("%q %v", m, err)
		}
		_ = ws.Close()
	}
}

// BenchmarkKeepAlive is one ping to an idle connection and its pong coming
// back through the poller: the cost of an idle client every 30 s.
func BenchmarkKeepAlive(b *testing.B) {
	h, _, url := benchServer(b, Options{})
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte("alice"))
	_ = ws.WriteMessage(websocket.TextMessage, []byte("pw"))
	pongs := make(chan struct{}, 1)
	ws.SetPingHandler(func(data string) error {
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		pongs <- struct{}{}
		return err
	})
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for len(h.snapshot(nil)) == 0 {
		time.Sleep(time.Millisecond)
	}
	c := h.snapshot(nil)[0]
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Minute) // every call finds the connection idle for a ping interval
		c.keepAlive(now.UnixNano(), true)
		<-pongs
		for c.pingPayload.Load() != 0 { // the pong is read by the poller
			time.Sleep(time.Microsecond)
		}
	}
}

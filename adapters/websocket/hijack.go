package websocket

import (
	"bufio"
	"errors"
	"net"
	"net/http"

	"github.com/notifypush/notify_push/adapters/websocket/fastpath"
)

// hijackWriter hands gorilla the connection's own socket and reader when it
// hijacks the request: a fastpath.Socket with a small buffer of ours instead
// of the HTTP server's 4 KiB one, so that nothing of the HTTP server stays
// behind and the idle fast path can read from the same buffer.
type hijackWriter struct {
	http.ResponseWriter
	sockets *fastpath.Shared
	sock    *fastpath.Socket
}

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the HTTP server does not support hijacking")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if brw.Reader.Buffered() > 0 {
		// The client did not wait for the handshake; gorilla refuses this.
		return nc, brw, nil
	}
	w.sock = fastpath.NewSocket(nc, w.sockets)
	return w.sock, bufio.NewReadWriter(w.sock.Buffer(), brw.Writer), nil
}

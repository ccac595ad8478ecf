// Package fastpath is what makes an idle WebSocket connection cheap: no
// goroutine, no timer and no write buffer while the client says nothing.
//
//   - Socket wraps a client's net.Conn with one small read buffer that gorilla
//     and the pump share, nonblocking reads while the pump runs, and WriteNow,
//     a write that never waits (for fan-outs to thousands of idle clients).
//   - Socket.Pump hands a Receiver every whole, simple client frame (short
//     text, binary, ping, pong) that is buffered or waiting in the socket,
//     and says what the reader does next: Idle (watch the socket again), Slow
//     (a frame only gorilla handles, read it blocking) or Gone.
//   - Poller (epoll, Linux only; Supported says whether this build has one)
//     waits for many idle sockets on one goroutine and hands back the value
//     it was armed with, whatever its type.
//   - AppendTextFrame and AppendPingFrame encode the server frames written
//     without gorilla.
//
// It knows RFC 6455 framing, not the notify_push protocol: what a text
// frame means, keep-alives and closing are adapters/websocket's. The raw
// system calls sit in the leaf package rawio, which the load tool's clients
// use too.
package fastpath

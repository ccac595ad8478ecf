// Package fastpath is what makes an idle WebSocket connection cheap: no
// goroutine, no timer and no write buffer while the client says nothing.
//
//   - Socket wraps a client's net.Conn with one small read buffer that gorilla
//     reads the login through and Pump the rest, reads that never wait once
//     SetNonblocking, and WriteNow, a write that never waits (for fan-outs to
//     thousands of idle clients).
//   - Shared is what the sockets of a server share: the limits on what a
//     client may send, and what a socket needs only while it reads or writes
//     (its read buffer, the state of a raw read or write), lent for that
//     time: an idle socket holds little more than its net.Conn.
//   - Socket.Pump reads the client's frames as RFC 6455 says (fragments,
//     control frames between them, long messages read past and dropped,
//     protocol errors and close frames answered through Receiver.Closing),
//     hands a Receiver the short text messages, pings and pongs, and says
//     what the reader does next: Idle (watch the socket again), More (the
//     budget is spent), Closed or Gone.
//   - Poller (epoll, Linux only; Supported says whether this build has one)
//     waits for many idle sockets on one goroutine and hands back the value
//     it was armed with, whatever its type.
//   - AppendTextFrame, AppendPingFrame, AppendPongFrame and AppendCloseFrame
//     encode the server's frames.
//
// It knows RFC 6455 framing, not the notify_push protocol: what a text
// frame means, keep-alives and closing are adapters/websocket's. The raw
// system calls sit in the leaf package rawio, which the load tool's clients
// use too.
package fastpath

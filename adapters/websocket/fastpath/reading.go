package fastpath

import (
	"bufio"
	"sync"
)

// Reading is what every Socket of a server shares: the read buffers, lent
// to a socket only while it reads, and the bounds on what a client may
// send. Its zero pool is ready to use; it must not be copied.
type Reading struct {
	// BufferSize is each read buffer's size; at least 139 bytes, the
	// longest control frame.
	BufferSize int
	// MessageLimit is the longest data message, its fragments summed; a
	// longer one is answered with CloseMessageTooBig.
	MessageLimit int64
	// TextLimit is the longest text message handed to Receiver.Text; longer
	// ones are read and dropped. At most BufferSize less the longest header
	// (14 bytes), so that such a frame is read whole.
	TextLimit int

	buffers sync.Pool // of *bufio.Reader with buffers of BufferSize
}

// lend gives s a read buffer over it.
func (rd *Reading) lend(s *Socket) *bufio.Reader {
	if br, ok := rd.buffers.Get().(*bufio.Reader); ok {
		br.Reset(s)
		return br
	}
	return bufio.NewReaderSize(s, rd.BufferSize)
}

// giveBack takes back an empty buffer.
func (rd *Reading) giveBack(br *bufio.Reader) {
	br.Reset(nil) // holds on to no socket while in the pool
	rd.buffers.Put(br)
}

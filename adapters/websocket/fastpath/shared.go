package fastpath

import (
	"bufio"
	"sync"
)

// Shared is what every Socket of a server shares: the bounds on what a
// client may send, and what a socket needs only while it reads or writes
// (a read buffer, the state of a raw read or write), lent for that time so
// that an idle connection holds none of it. Its zero pools are ready to use;
// it must not be copied.
type Shared struct {
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

	readers sync.Pool // of *reader
	writers sync.Pool // of *rawWrite
}

// reader is a read buffer over a socket, with the state of the raw reads
// it makes kept here so that a read allocates nothing.
type reader struct {
	br *bufio.Reader // reads through the reader itself
	s  *Socket       // the borrower
	// The raw read in progress.
	p      []byte
	n      int
	err    error
	readFn func(fd uintptr) bool
}

// rawWrite is the state of one raw write, kept out of the Socket because
// it is needed only during the write.
type rawWrite struct {
	p       []byte
	n       int
	err     error
	writeFn func(fd uintptr) bool
}

// lendReader gives s a read buffer.
func (sh *Shared) lendReader(s *Socket) *reader {
	r, ok := sh.readers.Get().(*reader)
	if !ok {
		r = &reader{}
		r.br = bufio.NewReaderSize(r, sh.BufferSize)
		r.readFn = r.readFD
	}
	r.s = s
	return r
}

// takeBackReader takes back an empty read buffer.
func (sh *Shared) takeBackReader(r *reader) {
	r.br.Reset(r) // drops a stored error; nothing is buffered
	r.s = nil     // holds on to no socket while in the pool
	sh.readers.Put(r)
}

func (sh *Shared) lendWrite() *rawWrite {
	w, ok := sh.writers.Get().(*rawWrite)
	if !ok {
		w = &rawWrite{}
		w.writeFn = w.writeFD
	}
	return w
}

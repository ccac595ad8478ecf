package fastpath

// Reading is what every Socket of a server shares: the size of the read
// buffers and the bounds on what a client may send.
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
}

package publish

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/notifypush/notify_push/internal/load/report"
)

// Publisher sends PUBLISH commands over one plain Redis connection, written
// in batches without waiting for replies (which a reader counts), so that
// tens of thousands of events a second cost the shared CPUs little.
type Publisher struct {
	conn net.Conn
	bw   *bufio.Writer
	buf  []byte

	sent          atomic.Uint64
	acked         atomic.Uint64
	zeroReceivers atomic.Uint64 // PUBLISH answered 0: nobody subscribed

	mu      sync.Mutex
	readErr error
	done    chan struct{}
}

// DialPublisher connects to Redis at addr.
func DialPublisher(ctx context.Context, addr string) (*Publisher, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to Redis at %s: %w", addr, err)
	}
	p := &Publisher{conn: conn, bw: bufio.NewWriterSize(conn, 256<<10), done: make(chan struct{})}
	go p.readReplies()
	return p, nil
}

// Add queues one PUBLISH; Flush sends what is queued.
func (p *Publisher) Add(channel string, payload []byte) {
	p.buf = AppendPublish(p.buf[:0], channel, payload)
	_, _ = p.bw.Write(p.buf) // a write error comes back from Flush
	p.sent.Add(1)
}

// AppendPublish writes the RESP command PUBLISH channel payload to b.
func AppendPublish(b []byte, channel string, payload []byte) []byte {
	b = append(b, "*3\r\n$7\r\nPUBLISH\r\n$"...)
	b = strconv.AppendInt(b, int64(len(channel)), 10)
	b = append(b, "\r\n"...)
	b = append(b, channel...)
	b = append(b, "\r\n$"...)
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, "\r\n"...)
	b = append(b, payload...)
	return append(b, "\r\n"...)
}

// Flush writes the queued commands.
func (p *Publisher) Flush() error {
	if err := p.bw.Flush(); err != nil {
		return fmt.Errorf("publish to Redis: %w", err)
	}
	return nil
}

// Sent counts commands written.
func (p *Publisher) Sent() uint64 { return p.sent.Load() }

// Acked counts commands answered.
func (p *Publisher) Acked() uint64 { return p.acked.Load() }

// ZeroReceivers counts events no subscriber received.
func (p *Publisher) ZeroReceivers() uint64 { return p.zeroReceivers.Load() }

// WaitAcked waits until every command sent is answered.
func (p *Publisher) WaitAcked(ctx context.Context) error {
	for p.acked.Load() < p.sent.Load() {
		if err := p.err(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("Redis answered %d of %d PUBLISH commands: %w", p.acked.Load(), p.sent.Load(), ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
	return p.err()
}

func (p *Publisher) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readErr
}

// readReplies counts integer replies; an error reply is kept and ends the
// publisher's usefulness.
func (p *Publisher) readReplies() {
	defer close(p.done)
	r := bufio.NewReaderSize(p.conn, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			p.fail(fmt.Errorf("read Redis replies: %w", err))
			return
		}
		if len(line) < 3 || line[0] != ':' {
			p.fail(fmt.Errorf("Redis refused PUBLISH: %q", report.Truncate(string(line), 120)))
			return
		}
		if line[1] == '0' && line[2] == '\r' {
			p.zeroReceivers.Add(1)
		}
		p.acked.Add(1)
	}
}

func (p *Publisher) fail(err error) {
	p.mu.Lock()
	if p.readErr == nil {
		p.readErr = err
	}
	p.mu.Unlock()
}

// Close ends the connection.
func (p *Publisher) Close() {
	_ = p.conn.Close()
	<-p.done
}

// Paced is how a paced run of publishing went.
type Paced struct {
	Sent  int
	Start time.Time
	End   time.Time
}

// Rate is the achieved publish rate per second.
func (p Paced) Rate() float64 {
	d := p.End.Sub(p.Start).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(p.Sent) / d
}

// Event builds event i into buf: its channel and payload. nowUS is the
// publish time to carry, in Unix microseconds.
type Event func(i int, nowUS int64, buf []byte) (channel string, payload []byte)

// Pace publishes count events at rate a second (rate ≤ 0: as fast as
// possible), in small batches as time passes, and returns when all are
// written (not yet answered).
func Pace(ctx context.Context, p *Publisher, rate float64, count int, gen Event) (Paced, error) {
	const maxBatch = 2000
	res := Paced{Start: time.Now()}
	var buf []byte
	for res.Sent < count {
		now := time.Now()
		due := count
		if rate > 0 {
			due = min(count, int(rate*now.Sub(res.Start).Seconds())+1)
		}
		if due <= res.Sent {
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(time.Millisecond):
			}
			continue
		}
		nowUS := now.UnixMicro()
		for n := min(due-res.Sent, maxBatch); n > 0; n-- {
			var channel string
			channel, buf = gen(res.Sent, nowUS, buf[:0])
			p.Add(channel, buf)
			res.Sent++
		}
		if err := p.Flush(); err != nil {
			return res, err
		}
		if err := p.err(); err != nil {
			return res, err
		}
	}
	res.End = time.Now()
	return res, nil
}

// ParseIntegerReply reads a RESP integer reply ":12\r\n".
func ParseIntegerReply(line string) (int64, error) {
	digits, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), ":")
	if !ok {
		return 0, fmt.Errorf("Redis refused PUBLISH: %q", report.Truncate(line, 120))
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("Redis answered %q to PUBLISH", report.Truncate(line, 120))
	}
	return n, nil
}

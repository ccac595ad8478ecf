package publish

import (
	"bufio"
	"context"
	"net"
	"sync"
	"time"
)

// Tracked publishes the soak's events over one plain Redis
// connection and learns the fate of each: Redis answers every PUBLISH with
// the number of subscribers that received it, in command order, so a queue
// of the ids awaiting an answer pairs them. Publishing never blocks the
// caller: a writer goroutine sends what is queued (blocking, while Redis is
// frozen), and dials again once the connection is gone; while Redis refuses
// connections, what is queued is refused.
//
// Each id gets exactly one of the three callbacks, with the time (Unix µs).
type Tracked struct {
	addr string
	// answered: Redis said receivers subscribers got it.
	answered func(id, receivers, at int64)
	// unconfirmed: written, but the connection died before Redis answered.
	unconfirmed func(id, at int64)
	// refused: never written: Redis did not accept a connection.
	refused func(id, at int64)

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []queuedPublish
	taken   int // events the writer took from queue and has not yet written or refused
	closed  bool
	cur     *pubConn
	readers sync.WaitGroup
	done    chan struct{}
}

type queuedPublish struct {
	id      int64
	channel string
	payload []byte
}

// pubConn is one connection and the ids written on it awaiting an answer.
type pubConn struct {
	c       net.Conn
	pending []int64
	dead    bool
}

// NewTracked publishes to the Redis at addr and reports each id's fate to
// answered, unconfirmed or refused.
func NewTracked(addr string, answered func(id, receivers, at int64), unconfirmed, refused func(id, at int64)) *Tracked {
	p := &Tracked{addr: addr, answered: answered, unconfirmed: unconfirmed, refused: refused, done: make(chan struct{})}
	p.cond = sync.NewCond(&p.mu)
	go p.write()
	return p
}

// Publish queues one event.
func (p *Tracked) Publish(id int64, channel string, payload []byte) {
	p.mu.Lock()
	p.queue = append(p.queue, queuedPublish{id: id, channel: channel, payload: payload})
	p.mu.Unlock()
	p.cond.Signal()
}

// idle reports whether every event queued so far has its fate.
func (p *Tracked) idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue) == 0 && p.taken == 0 && (p.cur == nil || len(p.cur.pending) == 0)
}

// WaitIdle waits until idle or ctx ends.
func (p *Tracked) WaitIdle(ctx context.Context) bool {
	for !p.idle() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
	return true
}

// Close stops the writer; ids still queued or awaiting an answer are
// reported unconfirmed.
func (p *Tracked) Close() {
	p.mu.Lock()
	p.closed = true
	cur := p.cur
	p.mu.Unlock()
	p.cond.Broadcast()
	if cur != nil {
		_ = cur.c.Close() // unblocks a writer stuck on a frozen Redis
	}
	<-p.done
	p.mu.Lock()
	if p.cur != nil {
		_ = p.cur.c.Close()
	}
	p.mu.Unlock()
	p.readers.Wait()
	now := time.Now().UnixMicro()
	p.mu.Lock()
	rest := p.queue
	p.queue = nil
	p.mu.Unlock()
	for _, q := range rest {
		p.unconfirmed(q.id, now)
	}
}

func (p *Tracked) write() {
	defer close(p.done)
	var buf []byte
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.closed {
			p.cond.Wait()
		}
		if p.closed {
			p.mu.Unlock()
			return
		}
		batch := p.queue
		p.queue = nil
		p.taken = len(batch)
		pc := p.cur
		if pc != nil && pc.dead {
			pc = nil
		}
		p.mu.Unlock()

		if pc == nil {
			c, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond)
			if err != nil {
				now := time.Now().UnixMicro()
				for _, q := range batch {
					p.refused(q.id, now)
				}
				p.mu.Lock()
				p.taken = 0
				p.mu.Unlock()
				time.Sleep(20 * time.Millisecond) // Redis is down: no hot loop
				continue
			}
			pc = &pubConn{c: c}
			p.mu.Lock()
			p.cur = pc
			p.mu.Unlock()
			p.readers.Add(1)
			go p.read(pc)
		}
		p.mu.Lock()
		if pc.dead { // died since: try again on a new connection
			p.queue = append(batch, p.queue...)
			p.taken = 0
			p.mu.Unlock()
			continue
		}
		buf = buf[:0]
		for _, q := range batch {
			pc.pending = append(pc.pending, q.id)
			buf = AppendPublish(buf, q.channel, q.payload)
		}
		p.taken = 0
		p.mu.Unlock()
		if _, err := pc.c.Write(buf); err != nil {
			_ = pc.c.Close() // the reader reports what is pending
		}
	}
}

// read pairs Redis's answers with the pending ids until the connection
// fails; then every id still pending is unconfirmed.
func (p *Tracked) read(pc *pubConn) {
	defer p.readers.Done()
	br := bufio.NewReaderSize(pc.c, 64<<10)
	for {
		line, err := br.ReadString('\n')
		now := time.Now().UnixMicro()
		var n int64
		if err == nil {
			n, err = ParseIntegerReply(line)
		}
		p.mu.Lock()
		if err != nil || len(pc.pending) == 0 {
			pc.dead = true
			rest := pc.pending
			pc.pending = nil
			p.mu.Unlock()
			_ = pc.c.Close()
			for _, id := range rest {
				p.unconfirmed(id, now)
			}
			return
		}
		id := pc.pending[0]
		pc.pending = pc.pending[1:]
		p.mu.Unlock()
		p.answered(id, n, now)
	}
}

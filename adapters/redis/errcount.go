package redis

import (
	"context"
	"errors"
	"net"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

// errorCounter counts failed dials and commands for the redis_error_count
// metric: a lost connection shows up as failed dials until Redis is back.
type errorCounter struct{ n *atomic.Uint64 }

var _ goredis.Hook = errorCounter{}

func (e errorCounter) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		e.count(err)
		return c, err
	}
}

func (e errorCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		if !handshake(cmd) {
			e.count(err)
		}
		return err
	}
}

func (e errorCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			if !handshake(cmd) && cmd.Err() != nil {
				e.count(cmd.Err())
				return err // one failure per pipeline
			}
		}
		if len(cmds) == 0 {
			e.count(err)
		}
		return err
	}
}

// handshake reports commands go-redis sends when it connects and may see
// refused by older servers (CLIENT SETINFO, HELLO), which it tolerates.
func handshake(cmd goredis.Cmder) bool {
	switch cmd.Name() {
	case "client", "hello":
		return true
	}
	return false
}

// count ignores what is not Redis failing: a missing key, or a caller that
// gave up.
func (e errorCounter) count(err error) {
	if err == nil || errors.Is(err, goredis.Nil) || errors.Is(err, context.Canceled) {
		return
	}
	e.n.Add(1)
}

package redis

import (
	"log/slog"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/testenv"
)

// These tests run the event source with its real timing behind a proxy the
// test controls: a hang that kills the connection without a reset (a lost
// NAT entry, a failover behind a virtual address) must be noticed by the
// adapter itself, and the subscription must be back within 2 s of Redis
// answering again.

func TestEventSourceRenewsAConnectionThatHung(t *testing.T) {
	for _, hang := range []time.Duration{300 * time.Millisecond, 3 * time.Second} {
		t.Run(hang.String(), func(t *testing.T) {
			srv := startRedis(t, serverConfig{})
			raw := rawClient(t, srv)
			proxy := testenv.StartTCPProxy(t, srv.addr)
			es, logs := newSource(newClient(t, Options{URLs: []string{"redis://" + proxy.Addr}}))
			l := listen(t, es, logs)
			waitSubscribed(t, raw)
			publishUntilReceived(t, raw, l, 2*time.Second)

			proxy.Hang()
			time.Sleep(hang)
			proxy.Forward()
			took := publishUntilReceived(t, raw, l, 10*time.Second)
			t.Logf("events flow again %s after the path is back", took)
			if took > 2*time.Second {
				t.Errorf("events flow again %s after Redis answers, want within 2 s; logs:\n%v", took, logs.all())
			}
			l.running(t)
			if n := logs.count(slog.LevelWarn, "the connection is dead"); n != 1 {
				t.Errorf("%d warnings about the dead connection, want 1: %v", n, logs.all())
			}
			if !es.Subscribed() {
				t.Error("not subscribed after recovery")
			}
		})
	}
}

func TestEventSourceKeepsTheConnectionOfAFrozenRedis(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	raw := rawClient(t, srv)
	es, logs := newSource(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	l := listen(t, es, logs)
	waitSubscribed(t, raw)
	publishUntilReceived(t, raw, l, 2*time.Second)

	// Frozen for 3 s: pings go unanswered and Redis answers nowhere, so the
	// connection is kept and simply works again when Redis resumes.
	srv.pause()
	time.Sleep(3 * time.Second)
	srv.resume()
	if took := publishUntilReceived(t, raw, l, 5*time.Second); took > 2*time.Second {
		t.Errorf("events flow again %s after Redis resumed", took)
	}
	if n := logs.count(slog.LevelWarn, ""); n != 0 {
		t.Errorf("the subscription was given up for a freeze shorter than %s: %v", ReplyTimeout, logs.all())
	}
}

func TestEventSourceResubscribesThroughARefusingPath(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	raw := rawClient(t, srv)
	proxy := testenv.StartTCPProxy(t, srv.addr)
	es, logs := newSource(newClient(t, Options{URLs: []string{"redis://" + proxy.Addr}}))
	l := listen(t, es, logs)
	waitSubscribed(t, raw)
	publishUntilReceived(t, raw, l, 2*time.Second)

	proxy.Refuse()
	waitFor(t, 3*time.Second, "the loss to be noticed", func() bool { return !es.Subscribed() })
	time.Sleep(2 * time.Second)
	proxy.Forward()
	if took := publishUntilReceived(t, raw, l, 5*time.Second); took > 2*time.Second {
		t.Errorf("events flow again %s after the path is back", took)
	}
	if n := logs.count(slog.LevelWarn, "Redis subscription lost"); n != 1 {
		t.Errorf("%d 'lost' warnings: %v", n, logs.all())
	}
}

package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Timing of the subscription (PROTOCOL §2). A hung connection (Redis frozen,
// or the path to it lost without a reset) must be noticed within about a
// second of Redis answering again, so the connection is pinged after one
// second of silence, and a silence of a quarter second more makes it
// suspect: then Redis is asked on another connection, and if it answers
// there while the subscription stays silent, the subscription is renewed at
// once. While Redis answers nowhere the connection is kept, since a frozen
// Redis that resumes answers on it without losing a message.
const (
	// PingInterval is the silence after which the subscription is pinged
	// (upstream pings every 15 s, which notices a hang far too late).
	PingInterval = time.Second
	// SuspectAfter is how long a ping or the subscription may go
	// unanswered before Redis is probed on another connection.
	SuspectAfter = 250 * time.Millisecond
	// ProbeTimeout bounds that probe; ProbeEvery spaces probes.
	ProbeTimeout = 500 * time.Millisecond
	ProbeEvery   = 500 * time.Millisecond
	// SilenceGrace is how long the subscription may stay silent once Redis
	// answered the probe.
	SilenceGrace = 300 * time.Millisecond
	// ReplyTimeout is how long a reply may take while Redis answers nowhere
	// before the connection is given up anyway.
	ReplyTimeout = 10 * time.Second
	// RetryInterval is the pause between two subscription attempts.
	RetryInterval = time.Second
)

// minReadWait lets a reply that is already buffered be read even when its
// deadline has passed while a handler ran.
const minReadWait = 50 * time.Millisecond

// errSilent ends a session whose connection no longer answers while Redis does.
var errSilent = errors.New("Redis answers on another connection but not on the subscription's: the connection is dead")

// EventSource is the subscription to the app's channels.
type EventSource struct {
	client   goredis.UniversalClient
	log      *slog.Logger
	channels []string

	pingInterval  time.Duration
	suspectAfter  time.Duration
	probeTimeout  time.Duration
	probeEvery    time.Duration
	silenceGrace  time.Duration
	replyTimeout  time.Duration
	retryInterval time.Duration

	subscribed atomic.Bool
}

// Subscribed reports whether every channel is subscribed right now.
func (s *EventSource) Subscribed() bool { return s.subscribed.Load() }

var _ ports.EventSource = (*EventSource)(nil)

// NewEventSource subscribes through client; a nil log logs nothing.
func NewEventSource(client goredis.UniversalClient, log *slog.Logger) *EventSource {
	return &EventSource{
		client:        client,
		log:           orDiscard(log),
		channels:      slices.Clone(domain.Channels),
		pingInterval:  PingInterval,
		suspectAfter:  SuspectAfter,
		probeTimeout:  ProbeTimeout,
		probeEvery:    ProbeEvery,
		silenceGrace:  SilenceGrace,
		replyTimeout:  ReplyTimeout,
		retryInterval: RetryInterval,
	}
}

// Listen subscribes to every channel of domain.Channels and hands each decoded
// event to handle, on this goroutine, until ctx ends; then it returns nil. A
// lost, hung or refused connection is logged once and retried every second;
// once the subscription is back, handle gets domain.Resubscribed.
func (s *EventSource) Listen(ctx context.Context, handle ports.EventHandler) error {
	if s == nil || s.client == nil || handle == nil {
		return errors.New("redis event source: no client or no handler")
	}
	var downSince time.Time // zero while subscribed, and before the first attempt
	everUp := false
	up := func() {
		// Only a subscription that was up before can have lost events.
		restored := everUp && !downSince.IsZero()
		switch {
		case !downSince.IsZero():
			s.log.Info("Redis subscription restored", "redis", describe(s.client),
				"down_for", time.Since(downSince).Round(time.Millisecond))
		case !everUp:
			s.log.Info("subscribed to Redis", "redis", describe(s.client), "channels", len(s.channels))
		}
		downSince, everUp = time.Time{}, true
		s.subscribed.Store(true)
		if restored {
			// What was published while the subscription was away is gone.
			handle(ctx, domain.Resubscribed{})
		}
	}
	defer s.subscribed.Store(false)
	for {
		start := time.Now()
		err := s.session(ctx, handle, up)
		s.subscribed.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, goredis.ErrClosed) {
			return fmt.Errorf("redis event source: %w", err) // the client was closed under us
		}
		switch {
		case !downSince.IsZero():
			s.log.Debug("Redis subscription attempt failed", "err", err)
		case everUp:
			downSince = time.Now()
			s.log.Warn("Redis subscription lost; retrying every second", "redis", describe(s.client), "err", err)
		default:
			downSince = time.Now()
			s.log.Warn("cannot subscribe to Redis; retrying every second", "redis", describe(s.client), "err", err)
		}
		s.refreshCluster(ctx)
		// One attempt per interval at most, and none later than that.
		if !sleep(ctx, time.Until(start.Add(s.retryInterval))) {
			return nil
		}
	}
}

// session subscribes on a fresh connection and delivers messages until the
// connection fails, goes silent while Redis answers elsewhere, stays silent
// for ReplyTimeout, or ctx ends (then it returns nil). up is called once
// every channel is confirmed.
func (s *EventSource) session(ctx context.Context, handle ports.EventHandler, up func()) error {
	ps := s.client.Subscribe(ctx) // no channel yet: no I/O, no hidden error
	// Closing the connection is what interrupts a blocked read on shutdown.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer func() {
		stop()
		_ = ps.Close()
	}()
	if err := ps.Subscribe(ctx, s.channels...); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}

	unconfirmed := len(s.channels)
	lastHeard := time.Now()
	awaiting := lastHeard // since when a reply is awaited; zero when none
	var nextProbe time.Time
	receive := func(msg any) {
		lastHeard = time.Now()
		switch m := msg.(type) {
		case *goredis.Message:
			awaiting = time.Time{} // the connection is alive
			s.deliver(ctx, handle, m.Channel, m.Payload)
		case *goredis.Subscription:
			if m.Kind == "subscribe" && unconfirmed > 0 {
				if unconfirmed--; unconfirmed == 0 {
					awaiting = time.Time{}
					up()
				}
			}
		case *goredis.Pong:
			if unconfirmed == 0 {
				awaiting = time.Time{}
			}
		}
	}
	for {
		now := time.Now()
		if awaiting.IsZero() && now.Sub(lastHeard) >= s.pingInterval {
			if err := ps.Ping(ctx); err != nil {
				return fmt.Errorf("ping: %w", err)
			}
			awaiting = now
		}
		var wait time.Duration
		if awaiting.IsZero() {
			wait = lastHeard.Add(s.pingInterval).Sub(now)
		} else {
			next := awaiting.Add(s.suspectAfter)
			if next.Before(nextProbe) {
				next = nextProbe
			}
			wait = min(next.Sub(now), awaiting.Add(s.replyTimeout).Sub(now))
		}
		msg, err := ps.ReceiveTimeout(ctx, max(wait, minReadWait))
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			receive(msg)
			continue
		}
		if !isTimeout(err) {
			return fmt.Errorf("receive: %w", err)
		}
		// Decide on silence only after a read found nothing buffered.
		if awaiting.IsZero() {
			continue
		}
		now = time.Now()
		if now.Sub(awaiting) >= s.replyTimeout {
			return fmt.Errorf("no reply from Redis within %s", s.replyTimeout)
		}
		if now.Sub(awaiting) < s.suspectAfter || now.Before(nextProbe) {
			continue
		}
		answers := s.answersElsewhere(ctx)
		nextProbe = time.Now().Add(s.probeEvery)
		if ctx.Err() != nil {
			return nil
		}
		if !answers {
			continue // frozen or unreachable: the connection may still come back
		}
		msg, err = ps.ReceiveTimeout(ctx, s.silenceGrace)
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			receive(msg)
		case isTimeout(err):
			return errSilent
		default:
			return fmt.Errorf("receive: %w", err)
		}
	}
}

// answersElsewhere reports whether Redis answers a PING on another
// connection of the client's pool within the probe timeout.
func (s *EventSource) answersElsewhere(ctx context.Context) bool {
	pctx, cancel := context.WithTimeout(ctx, s.probeTimeout)
	defer cancel()
	return s.client.Ping(pctx).Err() == nil
}

// deliver decodes one message and hands it on; a bad payload is dropped.
func (s *EventSource) deliver(ctx context.Context, handle ports.EventHandler, channel, payload string) {
	ev, err := domain.DecodeEvent(channel, []byte(payload))
	switch {
	case errors.Is(err, domain.ErrUnknownChannel):
		s.log.Debug("ignored message on an unknown channel", "channel", truncate(channel))
	case err != nil:
		// The payload itself is not logged: it may be huge or carry a token.
		s.log.Warn("dropped malformed event", "channel", channel, "err", err, "bytes", len(payload))
		// Handed on all the same: it counts as received, as upstream's do.
		handle(ctx, domain.MalformedEvent{On: channel, Err: err})
	default:
		handle(ctx, ev)
	}
}

// refreshCluster makes a cluster client learn the topology again, so that the
// next attempt does not dial a node that left.
func (s *EventSource) refreshCluster(ctx context.Context) {
	if cc, ok := s.client.(*goredis.ClusterClient); ok {
		cc.ReloadState(ctx)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// sleep waits for d or until ctx ends, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

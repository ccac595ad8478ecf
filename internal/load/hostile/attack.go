package hostile

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/internal/load/netsrc"
)

// Attack is what one attacking address does at once: a logged-in client
// flooding empty pings (again each time it is closed), silent sockets
// opened at a steady rate, and wrong-password logins kept in flight.
type Attack struct {
	url    string
	source string
	user   int // the flooder logs in as this user

	counts AttackCounts
	wg     sync.WaitGroup
}

// AttackCounts is what the attacker saw of the server.
type AttackCounts struct {
	FloodLogins   atomic.Int64
	FloodClosed   atomic.Int64
	FloodPolicy   atomic.Int64 // closed with 1008
	FloodBytes    atomic.Int64
	IdleUpgraded  atomic.Int64
	IdleRefused   atomic.Int64 // 503
	IdleFailed    atomic.Int64
	GuessInvalid  atomic.Int64 // err: Invalid credentials
	GuessTooMany  atomic.Int64 // err: Too many concurrent logins
	GuessRefused  atomic.Int64 // 503 at the upgrade
	GuessOther    atomic.Int64
	ClosedByFirst atomic.Int64 // silent sockets ended by the server
}

// AttackFigures is AttackCounts as the report shows them.
type AttackFigures struct {
	FloodLogins     int64 `json:"flood_logins"`
	FloodClosed1008 int64 `json:"flood_closed_1008"`
	FloodClosed     int64 `json:"flood_closed"`
	FloodMiB        int64 `json:"flood_mib"`
	IdleUpgraded    int64 `json:"idle_upgraded"`
	IdleEnded       int64 `json:"idle_ended_by_server"`
	IdleRefused503  int64 `json:"idle_refused_503"`
	IdleFailed      int64 `json:"idle_failed"`
	GuessInvalid    int64 `json:"guesses_invalid_credentials"`
	GuessTooMany    int64 `json:"guesses_too_many_logins"`
	GuessRefused503 int64 `json:"guesses_refused_503"`
	GuessOther      int64 `json:"guesses_other"`
}

func (c *AttackCounts) figures() AttackFigures {
	return AttackFigures{
		FloodLogins: c.FloodLogins.Load(), FloodClosed1008: c.FloodPolicy.Load(), FloodClosed: c.FloodClosed.Load(),
		FloodMiB:     c.FloodBytes.Load() >> 20,
		IdleUpgraded: c.IdleUpgraded.Load(), IdleEnded: c.ClosedByFirst.Load(), IdleRefused503: c.IdleRefused.Load(),
		IdleFailed:   c.IdleFailed.Load(),
		GuessInvalid: c.GuessInvalid.Load(), GuessTooMany: c.GuessTooMany.Load(), GuessRefused503: c.GuessRefused.Load(),
		GuessOther: c.GuessOther.Load(),
	}
}

// add sums o into f.
func (f *AttackFigures) add(o AttackFigures) {
	f.FloodLogins += o.FloodLogins
	f.FloodClosed1008 += o.FloodClosed1008
	f.FloodClosed += o.FloodClosed
	f.FloodMiB += o.FloodMiB
	f.IdleUpgraded += o.IdleUpgraded
	f.IdleEnded += o.IdleEnded
	f.IdleRefused503 += o.IdleRefused503
	f.IdleFailed += o.IdleFailed
	f.GuessInvalid += o.GuessInvalid
	f.GuessTooMany += o.GuessTooMany
	f.GuessRefused503 += o.GuessRefused503
	f.GuessOther += o.GuessOther
}

// dialer dials from source, so that all of the attack comes from one address.
func dialer(source string) *websocket.Dialer {
	d := netsrc.Dialer(source, 10*time.Second)
	return &websocket.Dialer{NetDialContext: d.DialContext, HandshakeTimeout: 10 * time.Second}
}

// Start runs the attack until ctx ends; Wait waits for it to stop. The
// flooding client logs in first (waiting at most 5 s for it): once the
// address's silent sockets and wrong passwords fill its quotas, the server
// refuses that address any login, the flooder's too, and a flood that never
// starts measures nothing.
func (a *Attack) Start(ctx context.Context, idleRate, guessers int) {
	in := make(chan struct{})
	a.wg.Go(func() { a.flood(ctx, in) })
	wait := time.NewTimer(5 * time.Second)
	select {
	case <-in:
	case <-wait.C:
	case <-ctx.Done():
	}
	wait.Stop()
	if idleRate > 0 {
		a.wg.Go(func() { a.idle(ctx, idleRate) })
	}
	for i := range guessers {
		a.wg.Go(func() { a.guess(ctx, i) })
	}
}

// Wait returns once every attacking goroutine has stopped.
func (a *Attack) Wait() { a.wg.Wait() }

// flood logs in and writes masked empty pings as fast as the socket takes
// them, and again after each close. It closes in after the first login.
func (a *Attack) flood(ctx context.Context, in chan<- struct{}) {
	burst := make([]byte, 0, 6*1024)
	for range 1024 {
		burst = append(burst, 0x89, 0x80, 1, 2, 3, 4) // FIN+ping, masked, empty
	}
	for ctx.Err() == nil {
		ws, _, err := dialer(a.source).DialContext(ctx, a.url, nil)
		if err != nil {
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		login := "user" + strconv.Itoa(a.user)
		_ = ws.WriteMessage(websocket.TextMessage, []byte(login))
		_ = ws.WriteMessage(websocket.TextMessage, []byte("pass"+strconv.Itoa(a.user)))
		if _, m, err := ws.ReadMessage(); err != nil || string(m) != "authenticated" {
			_ = ws.Close()
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		if a.counts.FloodLogins.Add(1) == 1 {
			close(in)
		}
		ws.SetPingHandler(func(string) error { return nil }) // only the flood writes
		closed := make(chan error, 1)
		go func() {
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					closed <- err
					return
				}
			}
		}()
		stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
		for {
			n, err := ws.NetConn().Write(burst)
			a.counts.FloodBytes.Add(int64(n))
			if err != nil {
				break
			}
		}
		err = <-closed
		stop()
		_ = ws.Close()
		if ctx.Err() != nil {
			return
		}
		a.counts.FloodClosed.Add(1)
		if websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
			a.counts.FloodPolicy.Add(1)
		}
	}
}

// idle opens rate silent sockets a second, each held until the server ends
// it or the attack stops.
func (a *Attack) idle(ctx context.Context, rate int) {
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	var held sync.WaitGroup
	defer held.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		held.Go(func() {
			ws, resp, err := dialer(a.source).DialContext(ctx, a.url, nil)
			switch {
			case err == nil:
			case resp != nil && resp.StatusCode == http.StatusServiceUnavailable:
				a.counts.IdleRefused.Add(1)
				return
			default:
				if ctx.Err() == nil {
					a.counts.IdleFailed.Add(1)
				}
				return
			}
			a.counts.IdleUpgraded.Add(1)
			stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
			defer stop()
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					if ctx.Err() == nil {
						a.counts.ClosedByFirst.Add(1)
					}
					_ = ws.Close()
					return
				}
			}
		})
	}
}

// guess keeps one wrong-password login in flight at a time.
func (a *Attack) guess(ctx context.Context, i int) {
	for ctx.Err() == nil {
		ws, resp, err := dialer(a.source).DialContext(ctx, a.url, nil)
		if err != nil {
			if resp != nil && resp.StatusCode == http.StatusServiceUnavailable {
				a.counts.GuessRefused.Add(1)
			}
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
		_ = ws.WriteMessage(websocket.TextMessage, []byte("user"+strconv.Itoa(i)))
		_ = ws.WriteMessage(websocket.TextMessage, []byte("wrong"))
		_, m, err := ws.ReadMessage()
		stop()
		_ = ws.Close()
		switch text := string(m); {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.counts.GuessOther.Add(1)
		case text == "err: Invalid credentials":
			a.counts.GuessInvalid.Add(1)
		case strings.HasPrefix(text, "err: Too many concurrent logins"):
			a.counts.GuessTooMany.Add(1)
			sleep(ctx, 100*time.Millisecond)
		default:
			a.counts.GuessOther.Add(1)
		}
	}
}

// Logins are legitimate logins made during a phase.
type Logins struct {
	OK     int64          `json:"ok"`
	Failed int64          `json:"failed"`
	Why    map[string]int `json:"why,omitempty"`
}

// probeLogins logs a legitimate user in and out every interval from source
// until ctx ends.
func probeLogins(ctx context.Context, url, source string, user int, interval time.Duration) Logins {
	var l Logins
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return l
		case <-tick.C:
		}
		why := login(ctx, url, source, user)
		if ctx.Err() != nil {
			return l // a login cut short by the phase's end is not counted
		}
		if why == nil {
			l.OK++
			continue
		}
		l.Failed++
		if l.Why == nil {
			l.Why = map[string]int{}
		}
		l.Why[why.Error()]++
	}
}

func login(ctx context.Context, url, source string, user int) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ws, resp, err := dialer(source).DialContext(ctx, url, nil)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if resp != nil {
			return errors.New("upgrade refused: " + resp.Status)
		}
		return errors.New("dial failed")
	}
	defer ws.Close()
	stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
	defer stop()
	_ = ws.WriteMessage(websocket.TextMessage, []byte("user"+strconv.Itoa(user)))
	_ = ws.WriteMessage(websocket.TextMessage, []byte("pass"+strconv.Itoa(user)))
	_, m, err := ws.ReadMessage()
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err() // the phase ended, or 20 s passed
	case err != nil:
		return errors.New("no answer")
	case string(m) != "authenticated":
		return errors.New(string(m))
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

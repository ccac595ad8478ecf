package app

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"go.uber.org/goleak"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/mocks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a settable ports.Clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// recorder collects what a mocked ClientConn was sent.
type recorder struct {
	mu     sync.Mutex
	texts  []string
	closed []domain.CloseReason
}

func (r *recorder) Texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.texts...)
}

func (r *recorder) Closed() []domain.CloseReason {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]domain.CloseReason(nil), r.closed...)
}

// newConn is a gomock ClientConn whose sends and closes are recorded.
func newConn(ctrl *gomock.Controller) (*mocks.MockClientConn, *recorder) {
	r := &recorder{}
	c := mocks.NewMockClientConn(ctrl)
	c.EXPECT().Send(gomock.Any()).Do(func(msg domain.Outgoing) {
		r.mu.Lock()
		r.texts = append(r.texts, msg.Text)
		r.mu.Unlock()
	}).AnyTimes()
	c.EXPECT().Close(gomock.Any()).Do(func(reason domain.CloseReason) {
		r.mu.Lock()
		r.closed = append(r.closed, reason)
		r.mu.Unlock()
	}).AnyTimes()
	return c, r
}

// fixture is a hub with a dispatcher over mocks and a fake clock.
type fixture struct {
	ctrl       *gomock.Controller
	clock      *fakeClock
	counters   *domain.Counters
	hub        *Hub
	mounts     *mocks.MockMountCache
	mapper     *Mapper
	kv         *mocks.MockKeyValue
	auth       *mocks.MockAuthenticator
	preAuth    *PreAuth
	level      *slog.LevelVar
	dispatcher *Dispatcher
	gateway    *Gateway
}

func newFixture(t *testing.T, opts HubOptions) *fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	f := &fixture{
		ctrl:     ctrl,
		clock:    &fakeClock{now: t0},
		counters: domain.NewCounters(),
		mounts:   mocks.NewMockMountCache(ctrl),
		kv:       mocks.NewMockKeyValue(ctrl),
		auth:     mocks.NewMockAuthenticator(ctrl),
		preAuth:  NewPreAuth(),
		level:    new(slog.LevelVar),
	}
	f.level.Set(slog.LevelWarn)
	f.hub = NewHub(opts, f.clock, f.counters, discard())
	mapper, err := NewMapper(MapperOptions{}, f.hub, f.mounts, f.clock, f.counters, discard())
	if err != nil {
		t.Fatal(err)
	}
	f.mapper = mapper
	f.dispatcher = NewDispatcher(f.hub, f.mapper, f.kv, f.preAuth, NewLogLevel(f.level), f.clock, f.counters, discard())
	ready, err := NewStartup(nil, discard())
	if err != nil {
		t.Fatal(err)
	}
	f.gateway = NewGateway(f.hub, f.auth, f.preAuth, f.clock, ready)
	return f
}

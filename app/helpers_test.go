package app

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/golang/mock/gomock"
	"go.uber.org/goleak"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/fakeclock"
	"github.com/notifypush/notify_push/mocks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is when every fixture's clock starts.
var t0 = fakeclock.Start

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

// fixture is the app over mocks and a fake clock: the hub, the dispatcher,
// the mapper with its cache in front of a mocked database (db), and logins
// through an AuthGuard over a mocked authenticator.
type fixture struct {
	ctrl       *gomock.Controller
	clock      *fakeclock.Clock
	counters   *domain.Counters
	hub        *Hub
	db         *mocks.MockMountStore
	mounts     *MountCache
	mapper     *Mapper
	kv         *mocks.MockKeyValue
	instances  *mocks.MockInstances
	claims     *mocks.MockTokenClaims
	auth       *mocks.MockAuthenticator
	preAuth    *PreAuth
	logs       *LogFilter
	dispatcher *Dispatcher
	logins     *Logins
}

func newFixture(t *testing.T, opts HubOptions) *fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	f := &fixture{
		ctrl:      ctrl,
		clock:     fakeclock.New(t0),
		counters:  domain.NewCounters(),
		db:        mocks.NewMockMountStore(ctrl),
		kv:        mocks.NewMockKeyValue(ctrl),
		instances: mocks.NewMockInstances(ctrl),
		claims:    mocks.NewMockTokenClaims(ctrl),
		auth:      mocks.NewMockAuthenticator(ctrl),
		preAuth:   NewPreAuth(),
	}
	warn, err := ParseLogSpec("warn")
	if err != nil {
		t.Fatal(err)
	}
	f.logs = NewLogFilter(slog.DiscardHandler, warn)
	f.hub = NewHub(opts, f.clock, f.counters, discard())
	if f.mounts, err = NewMountCache(f.db, MountCacheOptions{}, f.clock, discard()); err != nil {
		t.Fatal(err)
	}
	if f.mapper, err = NewMapper(MapperOptions{}, f.hub, f.mounts, f.clock, f.counters, discard()); err != nil {
		t.Fatal(err)
	}
	// A single server: every token it takes is its own to use.
	f.claims.EXPECT().Claim(gomock.Any(), gomock.Any(), domain.PreAuthLifetime).Return(true, nil).AnyTimes()
	instance := NewInstance(InstanceOptions{ID: "test-1"}, f.instances, f.counters, f.clock, discard())
	f.dispatcher = NewDispatcher(mocks.NewMockEventSource(ctrl), instance, f.hub, f.mapper, f.kv, f.preAuth, f.logs,
		f.clock, f.counters, discard())
	f.logins = newLogins(t, f, nil)
	return f
}

// newLogins is the login use case of f, waiting for deps.
func newLogins(t *testing.T, f *fixture, deps []Dependency) *Logins {
	t.Helper()
	gate, err := NewDependencies(deps, fastDependencies, f.clock, discard())
	if err != nil {
		t.Fatal(err)
	}
	guard, err := NewAuthGuard(f.auth, AuthGuardOptions{}, f.clock, discard())
	if err != nil {
		t.Fatal(err)
	}
	return NewLogins(f.hub, guard, f.preAuth, f.claims, gate, f.clock, discard())
}

// cached puts rows in the mapping cache as the mapping of storage: a load
// from the database, now.
func (f *fixture) cached(t *testing.T, storage domain.StorageID, rows ...domain.Mount) {
	t.Helper()
	f.db.EXPECT().MountsFor(gomock.Any(), storage).Return(rows, nil)
	if _, err := f.mounts.MountsFor(context.Background(), storage); err != nil {
		t.Fatal(err)
	}
}

// stale puts rows in the mapping cache as a mapping loaded so long ago that
// it is due for a refresh.
func (f *fixture) stale(t *testing.T, storage domain.StorageID, rows ...domain.Mount) {
	t.Helper()
	now := f.clock.Now()
	f.clock.Set(now.Add(-maxLifetime))
	f.cached(t, storage, rows...)
	f.clock.Set(now)
}

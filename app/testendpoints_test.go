package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/mocks"
)

func newTestEndpoints(f *fixture) (*TestEndpoints, *mocks.MockNextcloudProbe) {
	probe := mocks.NewMockNextcloudProbe(f.ctrl)
	versions := NewAppVersion(VersionOptions{Follow: true}, f.kv, probe, discard())
	return NewTestEndpoints(f.kv, probe, f.db, f.dispatcher, versions), probe
}

func TestTestEndpointsAuthorize(t *testing.T) {
	f := newFixture(t, HubOptions{})
	st, _ := newTestEndpoints(f)
	ctx := context.Background()
	tests := []struct {
		name   string
		stored string
		isSet  bool
		kvErr  error
		token  string
		want   error
	}{
		{"match", "s3cret", true, nil, "s3cret", nil},
		{"mismatch", "s3cret", true, nil, "s3creT", domain.ErrInvalidToken},
		{"prefix only", "s3cret", true, nil, "s3c", domain.ErrInvalidToken},
		{"no token sent", "s3cret", true, nil, "", domain.ErrInvalidToken},
		{"empty stored token never matches", "", true, nil, "", domain.ErrInvalidToken},
		{"test-token unset", "", false, nil, "x", domain.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.kv.EXPECT().Get(gomock.Any(), "test-token").Return(tt.stored, tt.isSet, tt.kvErr)
			if err := st.Authorize(ctx, tt.token); !errors.Is(err, tt.want) {
				t.Fatalf("Authorize = %v, want %v", err, tt.want)
			}
		})
	}
	f.kv.EXPECT().Get(gomock.Any(), "test-token").Return("", false, errors.New("redis down"))
	if err := st.Authorize(ctx, "x"); err == nil || errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("a store failure is not a bad token: %v", err)
	}
}

func TestTestEndpointsAnswer(t *testing.T) {
	f := newFixture(t, HubOptions{})
	st, probe := newTestEndpoints(f)
	ctx := context.Background()

	f.handle(domain.TestCookie{Cookie: 42})
	if st.Cookie() != 42 {
		t.Fatalf("cookie %d", st.Cookie())
	}
	probe.EXPECT().TestCookie(gomock.Any(), "tok").Return(uint32(7), nil)
	if c, err := st.ReverseCookie(ctx, "tok"); c != 7 || err != nil {
		t.Fatalf("reverse cookie %d %v", c, err)
	}
	f.db.EXPECT().MountsFor(gomock.Any(), domain.StorageID(3)).Return([]domain.Mount{
		{User: "alice", Root: ""}, {User: "bob", Root: "files/x"}, {User: "carol", Root: ""},
	}, nil)
	if n, err := st.MappingCount(ctx, 3); n != 2 || err != nil {
		t.Fatalf("mapping count %d %v", n, err)
	}
	probe.EXPECT().TestRemote(gomock.Any(), "1.2.3.4", "tok").Return("1.2.3.4", nil)
	if addr, err := st.Remote(ctx, "1.2.3.4", "tok"); addr != "1.2.3.4" || err != nil {
		t.Fatalf("remote %q %v", addr, err)
	}
	// Issue 18 item 9: Nextcloud's answer must be an IP address, as upstream
	// checks; an error page never passes for one.
	probe.EXPECT().TestRemote(gomock.Any(), "1.2.3.4", "tok").Return("<html>Maintenance</html>", nil)
	if addr, err := st.Remote(ctx, "1.2.3.4", "tok"); err == nil ||
		!strings.HasPrefix(err.Error(), "Invalid response when testing if the push server is a trusted proxy") {
		t.Fatalf("remote answered with a page: %q %v", addr, err)
	}
	probe.EXPECT().TestRemote(gomock.Any(), "1.2.3.4", "tok").Return("0:0:0:0:0:ffff:a00:5", nil)
	if addr, err := st.Remote(ctx, "1.2.3.4", "tok"); addr != "::ffff:10.0.0.5" || err != nil {
		t.Fatalf("remote in another spelling: %q %v", addr, err)
	}
	// The version route looks at the app's version afresh, and follows it.
	probe.EXPECT().TestVersion(gomock.Any()).Return(nil)
	f.kv.EXPECT().Get(gomock.Any(), "notify_push_app_version").Return("1.5.2", true, nil)
	f.kv.EXPECT().Set(gomock.Any(), "notify_push_version", "1.5.2").Return(nil)
	if err := st.StoreVersion(ctx); err != nil {
		t.Fatal(err)
	}
	// Nextcloud down: the last version read is reported.
	probe.EXPECT().TestVersion(gomock.Any()).Return(errors.New("refused"))
	f.kv.EXPECT().Set(gomock.Any(), "notify_push_version", "1.5.2").Return(nil)
	if err := st.StoreVersion(ctx); err != nil {
		t.Fatal(err)
	}
	// Redis down: the route answers an error.
	probe.EXPECT().TestVersion(gomock.Any()).Return(nil)
	f.kv.EXPECT().Get(gomock.Any(), "notify_push_app_version").Return("", false, errors.New("redis down"))
	f.kv.EXPECT().Set(gomock.Any(), "notify_push_version", "1.5.2").Return(errors.New("redis down"))
	if err := st.StoreVersion(ctx); err == nil {
		t.Fatal("StoreVersion hid a Redis failure")
	}
}

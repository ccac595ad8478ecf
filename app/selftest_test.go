package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/mocks"
)

func newSelfTest(f *fixture) (*SelfTest, *mocks.MockNextcloudProbe) {
	probe := mocks.NewMockNextcloudProbe(f.ctrl)
	versions := NewAppVersion(VersionOptions{Follow: true}, f.kv, probe, discard())
	return NewSelfTest(f.kv, probe, f.mounts, f.dispatcher, versions), probe
}

func TestSelfTestAuthorize(t *testing.T) {
	f := newFixture(t, HubOptions{})
	st, _ := newSelfTest(f)
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

func TestSelfTestAnswers(t *testing.T) {
	f := newFixture(t, HubOptions{})
	st, probe := newSelfTest(f)
	ctx := context.Background()

	f.handle(domain.TestCookie{Cookie: 42})
	if st.Cookie() != 42 {
		t.Fatalf("cookie %d", st.Cookie())
	}
	probe.EXPECT().TestCookie(gomock.Any(), "tok").Return(uint32(7), nil)
	if c, err := st.ReverseCookie(ctx, "tok"); c != 7 || err != nil {
		t.Fatalf("reverse cookie %d %v", c, err)
	}
	f.mounts.EXPECT().MountsFor(gomock.Any(), domain.StorageID(3)).Return([]domain.Mount{
		{User: "alice", Root: ""}, {User: "bob", Root: "files/x"}, {User: "carol", Root: ""},
	}, nil)
	if n, err := st.MappingCount(ctx, 3); n != 2 || err != nil {
		t.Fatalf("mapping count %d %v", n, err)
	}
	probe.EXPECT().TestRemote(gomock.Any(), "1.2.3.4", "tok").Return("1.2.3.4", nil)
	if addr, err := st.Remote(ctx, "1.2.3.4", "tok"); addr != "1.2.3.4" || err != nil {
		t.Fatalf("remote %q %v", addr, err)
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

func TestStartupCheck(t *testing.T) {
	tests := []struct {
		name       string
		follow     bool
		mountErr   error
		probeErr   error
		appVersion string
		appSet     bool
		reported   string
		problems   []string
		logged     []string
	}{
		{"all good", true, nil, nil, "1.4.3", true, "1.4.3", nil, nil},
		{"app updated, followed", true, nil, nil, "1.5.0", true, "1.5.0", nil, nil},
		{"not following", false, nil, nil, "1.5.0", true, domain.Version,
			[]string{"self-test will fail"}, []string{"following the app's version is turned off"}},
		{"outside the range", true, nil, nil, "2.0.0", true, domain.Version,
			[]string{"self-test will fail"}, []string{"outside the app series this server implements (>= 0.6 and < 2.0)"}},
		{"app never answered", true, nil, nil, "", false, domain.Version, []string{"same Redis"}, []string{"same Redis"}},
		{"database down", true, errors.New("refused"), nil, "1.4.0", true, "1.4.0",
			[]string{"database: refused"}, []string{"database: refused"}},
		// Redis is still checked, and the server's own version published.
		{"nextcloud down", true, nil, errors.New("timeout"), "", false, domain.Version,
			[]string{"nextcloud: timeout"}, []string{"nextcloud: timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, HubOptions{})
			probe := mocks.NewMockNextcloudProbe(f.ctrl)
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			versions := NewAppVersion(VersionOptions{Follow: tt.follow}, f.kv, probe, log)
			ready, err := NewStartup(nil, log)
			if err != nil {
				t.Fatal(err)
			}
			check := NewStartupCheck(f.mounts, f.kv, versions, ready, log)
			f.mounts.EXPECT().MountsFor(gomock.Any(), gomock.Any()).Return(nil, tt.mountErr)
			probe.EXPECT().TestVersion(gomock.Any()).Return(tt.probeErr)
			if tt.probeErr == nil {
				f.kv.EXPECT().Get(gomock.Any(), "notify_push_app_version").Return(tt.appVersion, tt.appSet, nil)
			}
			f.kv.EXPECT().Set(gomock.Any(), "notify_push_version", tt.reported).Return(nil)
			f.kv.EXPECT().Get(gomock.Any(), "notify_push_version").Return(tt.reported, true, nil)
			problems := check.Check(context.Background())
			if len(problems) != len(tt.problems) {
				t.Fatalf("problems %v, want %v", problems, tt.problems)
			}
			for i, want := range tt.problems {
				if !strings.Contains(problems[i].Error(), want) {
					t.Errorf("problem %q lacks %q", problems[i], want)
				}
			}
			for _, want := range tt.logged {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("not logged: %q\n%s", want, logs.String())
				}
			}
			if tt.logged == nil && strings.Contains(logs.String(), "WARN") {
				t.Errorf("warnings on a good start:\n%s", logs.String())
			}
		})
	}
}

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
	return NewSelfTest(f.kv, probe, f.mounts, f.dispatcher), probe
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
	f.kv.EXPECT().Set(gomock.Any(), "notify_push_version", domain.Version).Return(nil)
	if err := st.StoreVersion(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestStartupCheck(t *testing.T) {
	tests := []struct {
		name       string
		mountErr   error
		probeErr   error
		appVersion string
		appSet     bool
		problems   []string
	}{
		{"all good", nil, nil, "1.4.3", true, nil},
		{"other series", nil, nil, "1.5.0", true, []string{"not in the series"}},
		{"app never answered", nil, nil, "", false, []string{"same Redis"}},
		{"database down", errors.New("refused"), nil, "1.4.0", true, []string{"database: refused"}},
		{"nextcloud down", nil, errors.New("timeout"), "", false, []string{"nextcloud: timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, HubOptions{})
			probe := mocks.NewMockNextcloudProbe(f.ctrl)
			var logs bytes.Buffer
			check := NewStartupCheck(f.mounts, f.kv, probe, slog.New(slog.NewTextHandler(&logs, nil)))
			f.mounts.EXPECT().MountsFor(gomock.Any(), gomock.Any()).Return(nil, tt.mountErr)
			f.kv.EXPECT().Set(gomock.Any(), "notify_push_version", domain.Version).Return(nil)
			f.kv.EXPECT().Get(gomock.Any(), "notify_push_version").Return(domain.Version, true, nil)
			probe.EXPECT().TestVersion(gomock.Any()).Return(tt.probeErr)
			if tt.probeErr == nil {
				f.kv.EXPECT().Get(gomock.Any(), "notify_push_app_version").Return(tt.appVersion, tt.appSet, nil)
			}
			problems := check.Check(context.Background())
			if len(problems) != len(tt.problems) {
				t.Fatalf("problems %v, want %v", problems, tt.problems)
			}
			for i, want := range tt.problems {
				if !strings.Contains(problems[i].Error(), want) {
					t.Errorf("problem %q lacks %q", problems[i], want)
				}
				if !strings.Contains(logs.String(), want) {
					t.Errorf("not logged: %q", want)
				}
			}
		})
	}
}

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
			deps, err := NewDependencies(nil, DependencyTiming{}, f.clock, log)
			if err != nil {
				t.Fatal(err)
			}
			check := NewStartupCheck(f.db, f.kv, versions, deps, log)
			f.db.EXPECT().MountsFor(gomock.Any(), gomock.Any()).Return(nil, tt.mountErr)
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

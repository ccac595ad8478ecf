package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
)

// TestParseLogSpecAcceptsWhatFlexiLoggerAccepts is issue 18 item 2: every
// spec upstream's flexi_logger takes is taken, with the same meaning per
// target, and unknown modules are ignored rather than refused.
func TestParseLogSpecAcceptsWhatFlexiLoggerAccepts(t *testing.T) {
	tests := []struct {
		spec string
		// levels of domain.TargetRoot, domain.TargetSend, domain.TargetDatabaseLibrary
		root, send, db slog.Level
	}{
		{"warn", slog.LevelWarn, slog.LevelWarn, slog.LevelWarn},
		{" INFO ", slog.LevelInfo, slog.LevelInfo, slog.LevelInfo},
		{"notify_push=debug,sqlx=warn", slog.LevelDebug, slog.LevelDebug, slog.LevelWarn},
		{"notify_push::send=debug", LevelOff, slog.LevelDebug, LevelOff},
		{"warn,notify_push::send=debug", slog.LevelWarn, slog.LevelDebug, slog.LevelWarn},
		{"notify_push::send=debug, warn", slog.LevelWarn, slog.LevelDebug, slog.LevelWarn},
		{"sqlx=warn", LevelOff, LevelOff, slog.LevelWarn},
		{"tokio=trace,hyper=off", LevelOff, LevelOff, LevelOff},
		{"", LevelOff, LevelOff, LevelOff},
		{"off", LevelOff, LevelOff, LevelOff},
		{"notify_push", LevelTrace, LevelTrace, LevelOff},
		{"notify_push=", LevelTrace, LevelTrace, LevelOff},
		{"=info", slog.LevelInfo, slog.LevelInfo, slog.LevelInfo},
		// The longest module wins, whatever the order.
		{"notify_push::send=error,notify_push=debug", slog.LevelDebug, slog.LevelError, LevelOff},
		// Prefixes are strings, not paths, as in flexi_logger.
		{"notify=info", slog.LevelInfo, slog.LevelInfo, LevelOff},
		// The first default wins.
		{"error,debug", slog.LevelError, slog.LevelError, slog.LevelError},
		{"debug/Sending", slog.LevelDebug, slog.LevelDebug, slog.LevelDebug},
	}
	for _, tt := range tests {
		s, err := ParseLogSpec(tt.spec)
		if err != nil {
			t.Errorf("ParseLogSpec(%q): %v", tt.spec, err)
			continue
		}
		if got := [3]slog.Level{s.Level(domain.TargetRoot), s.Level(domain.TargetSend), s.Level(domain.TargetDatabaseLibrary)}; got != [3]slog.Level{tt.root, tt.send, tt.db} {
			t.Errorf("ParseLogSpec(%q): root, send, sqlx = %v, want %v", tt.spec, got, [3]slog.Level{tt.root, tt.send, tt.db})
		}
	}
}

// TestParseLogSpecRefusesWhatFlexiLoggerRefuses: upstream exits on these.
func TestParseLogSpecRefusesWhatFlexiLoggerRefuses(t *testing.T) {
	for _, spec := range []string{
		"notify_push=loud",
		"notify_push=debug,sqlx=wanr",
		"notify push=debug",
		"a=b=c",
		"debug/x/y",
		"debug/(",
	} {
		if _, err := ParseLogSpec(spec); err == nil {
			t.Errorf("ParseLogSpec(%q) accepted", spec)
		}
	}
}

func TestParseLogSpecTextFilter(t *testing.T) {
	s, err := ParseLogSpec("debug/^Sending")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Matches("Sending notify_file to alice") || s.Matches("Received activity notification for user alice") {
		t.Fatal("the text filter does not select by message")
	}
}

// filterOutput is a LogFilter writing text lines to a buffer.
func filterOutput(t *testing.T, spec string) (*LogFilter, *bytes.Buffer) {
	t.Helper()
	s, err := ParseLogSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	return NewLogFilter(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: LevelTrace}), s), &buf
}

func TestLogFilterPerTarget(t *testing.T) {
	f, out := filterOutput(t, "warn,notify_push::send=debug")
	root := f.Logger()
	send := root.With(domain.TargetKey, domain.TargetSend)
	receive := root.With(domain.TargetKey, domain.TargetReceive)
	root.Info("root info")
	root.Warn("root warn")
	send.Debug("send debug")
	receive.Debug("receive debug")
	receive.Warn("receive warn")
	got := out.String()
	for _, want := range []string{"root warn", "send debug", "target=notify_push::send", "receive warn"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"root info", "receive debug"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("%q logged:\n%s", unwanted, got)
		}
	}

	// A pushed spec changes loggers made before it; popping restores.
	if err := f.Push("notify_push::receive=debug"); err != nil {
		t.Fatal(err)
	}
	if !receive.Enabled(context.Background(), slog.LevelDebug) || send.Enabled(context.Background(), slog.LevelDebug) ||
		root.Enabled(context.Background(), slog.LevelError) {
		t.Fatal("the pushed spec is not in force for existing loggers")
	}
	f.Pop()
	if receive.Enabled(context.Background(), slog.LevelDebug) || !send.Enabled(context.Background(), slog.LevelDebug) {
		t.Fatal("pop did not restore LOG's spec")
	}
}

func TestLogFilterTextRegex(t *testing.T) {
	f, out := filterOutput(t, "debug/^Sending")
	log := f.Logger()
	log.Debug("Sending notify_file to alice")
	log.Debug("Received something")
	if got := out.String(); !strings.Contains(got, "Sending notify_file") || strings.Contains(got, "Received") {
		t.Fatalf("text filter not applied:\n%s", got)
	}
}

// TestDispatcherAndHubLogLikeUpstream is issue 18 item 8: each event
// received and each message sent is logged at debug under upstream's
// targets, and nothing of it with LOG's default.
func TestDispatcherAndHubLogLikeUpstream(t *testing.T) {
	f, out := filterOutput(t, "warn,notify_push::receive=debug,notify_push::send=debug")
	log := f.Logger()
	fx := newFixture(t, HubOptions{DebounceDisable: true})
	fx.hub = NewHub(HubOptions{DebounceDisable: true}, fx.clock, fx.counters, log)
	fx.dispatcher = NewDispatcher(nil, nil, fx.hub, fx.mapper, fx.kv, fx.preAuth, f, fx.clock, fx.counters, log)
	fx.connect(t, "alice")
	ctx := context.Background()
	fx.dispatcher.HandleEvent(ctx, domain.Activity{User: "alice"})
	fx.dispatcher.HandleEvent(ctx, domain.Custom{User: "alice", Message: "my_type", Body: `{"secret":1}`})
	fx.dispatcher.HandleEvent(ctx, domain.PreAuth{User: "alice", Token: "0123456789abcdef0123456789abcdef"})
	got := out.String()
	for _, want := range []string{
		`msg="Received activity notification for user alice" target=notify_push::receive`,
		`msg="Sending notify_activity to alice" target=notify_push::send`,
		`msg="Received custom notification my_type for user alice"`,
		`msg="Sending my_type to alice"`,
		`msg="Received pre_auth user alice"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
	if strings.Contains(got, "secret") || strings.Contains(got, "0123456789abcdef") {
		t.Errorf("a body or token reached the log:\n%s", got)
	}

	fx.dispatcher.HandleEvent(ctx, domain.ConfigChange{LogSpec: "warn"})
	out.Reset()
	fx.dispatcher.HandleEvent(ctx, domain.Activity{User: "alice"})
	if strings.Contains(out.String(), "Received") || strings.Contains(out.String(), "Sending") {
		t.Fatalf("logged at warn:\n%s", out.String())
	}
}

// TestHubLogsDebouncedSends: a message that waited in its slot is logged as
// upstream's "Sending debounced ...".
func TestHubLogsDebouncedSends(t *testing.T) {
	f, out := filterOutput(t, "notify_push::send=debug")
	fx := newFixture(t, HubOptions{})
	fx.hub = NewHub(HubOptions{}, fx.clock, fx.counters, f.Logger())
	fx.connect(t, "bob")
	fx.hub.deliver("bob", slotUpdate{kind: domain.KindNotification}, fx.clock.Now(), fx.hub.debounceBase())
	fx.clock.Advance(time.Minute)
	fx.hub.FlushDue(fx.clock.Now())
	if !strings.Contains(out.String(), `msg="Sending debounced notify_notification to bob"`) {
		t.Fatalf("no debounced send logged:\n%s", out.String())
	}
}

// BenchmarkSendLogCheck is what a fan-out pays per message for upstream's
// "Sending ..." line while notify_push::send is not at debug: one Enabled
// check through the LogFilter.
func BenchmarkSendLogCheck(b *testing.B) {
	spec, err := ParseLogSpec("warn")
	if err != nil {
		b.Fatal(err)
	}
	sent := NewLogFilter(slog.DiscardHandler, spec).Logger().With(domain.TargetKey, domain.TargetSend)
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if sent.Enabled(ctx, slog.LevelDebug) {
			n++
		}
	}
	if n != 0 {
		b.Fatal("debug enabled at warn")
	}
}

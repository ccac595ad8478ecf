package main

import (
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/load/hostile"
)

// TestHostileEndToEnd runs "loadgen hostile" small and short against the
// real notify_push binary: the victims must be served in both phases and
// the flooding client closed with 1008, in each of two rounds, and the
// rounds pooled. Latency ratios are not asserted: the attacker shares this
// machine's cores.
func TestHostileEndToEnd(t *testing.T) {
	var r hostile.Report
	stdout, _ := runLoadgen(t, 3*time.Minute, &r, "hostile",
		"--victims", "30", "--rate", "30", "--duration", "2s", "--rounds", "2", "--cooldown", "1s", "--buildup", "1s",
		"--idle-rate", "20", "--guessers", "10", "--wrong-delay", "1s", "--settle", "3s")
	if !strings.Contains(stdout, "Targets") || !strings.Contains(stdout, "under attack") {
		t.Errorf("no report on stdout:\n%s", stdout)
	}
	if r.Victims != 30 {
		t.Fatalf("%d victims", r.Victims)
	}
	for name, p := range map[string]hostile.Phase{"without attack": r.Without, "under attack": r.Under} {
		if p.Published != 120 || p.Received != p.Published || p.Disconnects != 0 || p.Open != 30 || p.Logins.OK == 0 ||
			p.Logins.Failed != 0 || p.Latency.Count != 120 {
			t.Errorf("%s: %+v", name, p)
		}
	}
	if len(r.Rounds) != 2 || r.Rounds[0].UnderP99 == 0 || r.Rounds[1].WithoutP99 == 0 {
		t.Errorf("rounds: %+v", r.Rounds)
	}
	if a := r.Attack; a.FloodLogins < 2 || a.FloodClosed1008 == 0 || a.IdleUpgraded == 0 || a.GuessInvalid == 0 {
		t.Errorf("attack: %+v", a)
	}
	if r.Server.FloodingCloses == 0 {
		t.Errorf("server: %+v", r.Server)
	}
	if len(r.Targets) != 5 {
		t.Errorf("targets: %+v", r.Targets)
	}
}

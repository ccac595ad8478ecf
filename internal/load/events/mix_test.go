package events

import (
	"strings"
	"testing"
)

func TestParseMix(t *testing.T) {
	m, err := ParseMix(" custom=50, activity=25,notification=25,shared=0 ")
	if err != nil {
		t.Fatal(err)
	}
	if m.String() != "custom=50,activity=25,notification=25" {
		t.Errorf("parsed %s (weight 0 drops a kind)", m)
	}
	for _, bad := range []struct{ in, want string }{
		{"custom", "kind=weight"},
		{"custom=-1", "kind=weight"},
		{"custom=x", "kind=weight"},
		{"storm=3", `unknown kind "storm"`},
		{"custom=1,custom=2", "twice"},
		{"custom=0", "no kind"},
		{"", "no kind"},
	} {
		if _, err := ParseMix(bad.in); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseMix(%q) = %v, want an error saying %q", bad.in, err, bad.want)
		}
	}
}

func TestPatternKeepsProportionsInEveryStretch(t *testing.T) {
	m, err := ParseMix("custom=50,activity=25,notification=25")
	if err != nil {
		t.Fatal(err)
	}
	p := m.Pattern()
	if len(p) != 4 {
		t.Fatalf("pattern %v: weights 50/25/25 reduce to a cycle of 4", p)
	}
	counts := map[EventKind]int{}
	for _, k := range p {
		counts[k]++
	}
	if counts[KindCustom] != 2 || counts[KindActivity] != 1 || counts[KindNotification] != 1 {
		t.Fatalf("pattern %v", p)
	}
	if p[0] == p[1] && p[0] == KindCustom {
		t.Errorf("pattern %v bunches custom events", p)
	}

	m, _ = ParseMix("home=1,shared=2,custom=7")
	p = m.Pattern()
	if len(p) != 10 {
		t.Fatalf("pattern %v", p)
	}
	// Any 5 consecutive events (half a cycle, wrapping) hold 3 or 4 custom ones.
	for i := range p {
		n := 0
		for j := range 5 {
			if p[(i+j)%len(p)] == KindCustom {
				n++
			}
		}
		if n < 3 || n > 4 {
			t.Errorf("stretch at %d of %v holds %d custom events", i, p, n)
		}
	}
}

package harness

import (
	"reflect"
	"strings"
	"testing"
)

func TestSourcePoolHandsOutFreshAddresses(t *testing.T) {
	p, err := NewSourcePool(2, 5000)
	if err != nil {
		t.Fatal(err)
	}
	a, err := p.Take(9000)
	if err != nil || !reflect.DeepEqual(a, []string{"127.0.0.2", "127.0.0.3"}) {
		t.Fatalf("9000 connections: %v %v", a, err)
	}
	b, err := p.Take(1)
	if err != nil || !reflect.DeepEqual(b, []string{"127.0.0.4"}) {
		t.Fatalf("one more: %v %v", b, err)
	}
	if c, err := p.Take(0); err != nil || len(c) != 1 || c[0] != "127.0.0.5" {
		t.Fatalf("an empty batch still gets an address to name: %v %v", c, err)
	}
	if got := p.Used(2); got != "127.0.0.2–127.0.0.5" {
		t.Errorf("used %q", got)
	}
	// 249 addresses remain (6-254); asking for more fails and takes nothing.
	if _, err := p.Take(250 * 5000); err == nil || !strings.Contains(err.Error(), "--per-source") {
		t.Fatalf("exhaustion: %v", err)
	}
	if last, err := p.Take(249 * 5000); err != nil || last[len(last)-1] != "127.0.0.254" {
		t.Fatalf("the rest: %v", err)
	}
	if _, err := p.Take(1); err == nil {
		t.Fatal("an exhausted pool handed out an address")
	}
}

func TestSourcePoolRefusesBadSettings(t *testing.T) {
	for _, c := range []struct{ first, per int }{{1, 10}, {255, 10}, {2, 0}, {2, 30000}} {
		if _, err := NewSourcePool(c.first, c.per); err == nil {
			t.Errorf("first %d, per address %d accepted", c.first, c.per)
		}
	}
}

package main

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

func TestSourceForSpreadsEvenly(t *testing.T) {
	addrs := []string{"a", "b", "c"}
	seen := map[string]int{}
	for i := range 10 {
		seen[sourceFor(addrs, i)]++
	}
	if seen["a"] != 4 || seen["b"] != 3 || seen["c"] != 3 {
		t.Fatalf("spread %v", seen)
	}
}

func TestSplitSharesByRoom(t *testing.T) {
	for _, c := range []struct {
		n    int
		free []int
		want []int
	}{
		{9, []int{9000, 9000, 9000}, []int{3, 3, 3}},
		{10, []int{9000, 9000, 9000}, []int{4, 3, 3}},
		{10_000, []int{8000, 1000, 9000}, []int{4500, 1000, 4500}},
		{5, []int{0, 5}, []int{0, 5}},
		{0, []int{3, 3}, []int{0, 0}},
		{2, []int{1, 1, 1}, []int{1, 1, 0}},
	} {
		got, err := split(c.n, c.free)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("split(%d, %v) = %v, %v; want %v", c.n, c.free, got, err, c.want)
		}
		sum := 0
		for i, g := range got {
			sum += g
			if g > c.free[i] {
				t.Errorf("split(%d, %v): worker %d over its room", c.n, c.free, i)
			}
		}
		if sum != c.n {
			t.Errorf("split(%d, %v) hands out %d", c.n, c.free, sum)
		}
	}
	if _, err := split(10, []int{4, 5}); err == nil || !strings.Contains(err.Error(), "--per-worker") {
		t.Fatalf("overflow: %v", err)
	}
}

package run

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSubscribers(t *testing.T) {
	list := "id=3 addr=127.0.0.1:5000 fd=8 name= age=9 idle=0 flags=N db=0 sub=0 psub=0 omem=0 cmd=client|list\n" +
		"id=7 addr=127.0.0.1:5001 fd=9 name= age=9 idle=0 flags=P db=0 sub=11 psub=0 omem=20480 cmd=subscribe\n" +
		"id=9 addr=127.0.0.1:5002 fd=10 name= age=9 idle=0 flags=P db=0 sub=11 psub=0 omem=0 cmd=subscribe\n"
	got := parseSubscribers(list)
	if !reflect.DeepEqual(got, []subscriber{{id: "7", omem: 20480}, {id: "9"}}) {
		t.Fatalf("%+v", got)
	}
	if got := parseSubscribers("id=3 sub=0 omem=0\n"); len(got) != 0 {
		t.Fatalf("found subscribers where there are none: %+v", got)
	}
	if !sameClients(got, got) || sameClients(parseSubscribers(list), parseSubscribers(list)[:1]) {
		t.Fatal("sameClients")
	}
}

func TestPubsubLimit(t *testing.T) {
	got := pubsubLimit("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
	if got != "hard 32.0 MiB, soft 8.0 MiB for 60 s" {
		t.Fatalf("%q", got)
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

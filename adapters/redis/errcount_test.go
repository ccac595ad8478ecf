package redis

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

func TestFailuresAreCountedButMissingKeysAreNot(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	var n atomic.Uint64
	kv := NewKeyValue(newClient(t, Options{URLs: []string{srv.url("", 0)}, Errors: &n}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, ok, err := kv.Get(ctx, "no-such-key"); err != nil || ok {
		t.Fatalf("get: %v %v", ok, err)
	}
	if err := kv.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 0 {
		t.Fatalf("%d errors counted against a healthy Redis", got)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port that then refuses
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	down := NewKeyValue(newClient(t, Options{URLs: []string{"redis://" + addr}, Errors: &n}))
	if _, _, err := down.Get(ctx, "k"); err == nil {
		t.Fatal("get from a closed port succeeded")
	}
	if n.Load() == 0 {
		t.Fatal("a refused connection was not counted")
	}
}

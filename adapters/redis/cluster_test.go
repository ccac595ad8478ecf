package redis

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/domain"
)

// startCluster runs a Redis cluster of n masters without replicas.
func startCluster(t *testing.T, n int) []*server {
	t.Helper()
	nodes := make([]*server, n)
	args := []string{"--cluster", "create"}
	for i := range nodes {
		nodes[i] = startRedis(t, serverConfig{extra: []string{
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
		}})
		args = append(args, nodes[i].addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "/usr/bin/redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, s := range nodes {
		raw := rawClient(t, s)
		waitFor(t, 10*time.Second, "cluster_state:ok on "+s.addr, func() bool {
			info, err := raw.ClusterInfo(context.Background()).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
	}
	return nodes
}

func TestCluster(t *testing.T) {
	nodes := startCluster(t, 3)
	var urls []string
	for _, s := range nodes {
		urls = append(urls, s.url("", 0))
	}
	t.Run("every seed", func(t *testing.T) { checkWorks(t, Options{URLs: urls}) })
	t.Run("one seed", func(t *testing.T) { checkWorks(t, Options{URLs: urls[1:2], Cluster: true}) })

	t.Run("keys on every node", func(t *testing.T) {
		client := newClient(t, Options{URLs: urls})
		if _, ok := client.(*goredis.ClusterClient); !ok {
			t.Fatalf("%T is not a cluster client", client)
		}
		kv := NewKeyValue(client)
		ctx := bounded(t)
		for i := range 30 {
			key := fmt.Sprintf("notify_push_test_%d", i)
			if err := kv.Set(ctx, key, key); err != nil {
				t.Fatal(err)
			}
			if v, ok, err := kv.Get(ctx, key); v != key || !ok || err != nil {
				t.Fatalf("%s: %q %v %v", key, v, ok, err)
			}
		}
		for _, s := range nodes {
			if n, err := rawClient(t, s).DBSize(ctx).Result(); err != nil || n == 0 {
				t.Fatalf("node %s holds %d keys (%v): the keys were not spread", s.addr, n, err)
			}
		}
	})

	// The registry's keys share one slot, so its multi-key commands work.
	t.Run("instances and token claims", func(t *testing.T) {
		client := newClient(t, Options{URLs: urls})
		ctx := bounded(t)
		s := NewInstances(client)
		for _, id := range []string{"a", "b"} {
			if err := s.Announce(ctx, id, "report "+id, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Leave(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if r, err := s.Reports(ctx); err != nil || len(r) != 1 || r["b"] != "report b" {
			t.Fatalf("reports %v, %v; want b's alone", r, err)
		}
		claims := NewTokenClaims(client)
		if won, err := claims.Claim(ctx, "k", time.Minute); !won || err != nil {
			t.Fatalf("first claim %v %v", won, err)
		}
		if won, err := claims.Claim(ctx, "k", time.Minute); won || err != nil {
			t.Fatalf("second claim %v %v", won, err)
		}
	})

	// Classic pub/sub is cluster-wide: one subscription hears PUBLISH on any node.
	t.Run("publish on any node", func(t *testing.T) {
		es, logs := newSource(newClient(t, Options{URLs: urls}))
		l := listen(t, es, logs)
		publishUntilReceived(t, rawClient(t, nodes[0]), l, 5*time.Second)
		l.drain()
		for i, s := range nodes {
			raw := rawClient(t, s)
			if err := raw.Publish(bounded(t), domain.ChannelTestCookie, fmt.Sprint(1000+i)).Err(); err != nil {
				t.Fatal(err)
			}
			if ev := l.next(t, 2*time.Second); ev != (domain.TestCookie{Cookie: uint32(1000 + i)}) {
				t.Fatalf("published on %s, got %#v", s.addr, ev)
			}
		}
	})
}

func TestClusterNodeRestart(t *testing.T) {
	nodes := startCluster(t, 3)
	var urls []string
	for _, s := range nodes {
		urls = append(urls, s.url("", 0))
	}
	es, logs := newSource(newClient(t, Options{URLs: urls}))
	l := listen(t, es, logs)
	publishUntilReceived(t, rawClient(t, nodes[0]), l, 5*time.Second)

	// Restart the node that holds the subscription.
	var home *server
	for _, s := range nodes {
		counts, err := rawClient(t, s).PubSubNumSub(bounded(t), domain.ChannelConfig).Result()
		if err == nil && counts[domain.ChannelConfig] > 0 {
			home = s
		}
	}
	if home == nil {
		t.Fatal("no node holds the subscription")
	}
	home.kill()
	waitFor(t, 3*time.Second, "the loss to be logged", func() bool {
		return logs.count(slog.LevelWarn, "Redis subscription lost") == 1
	})
	home.start()
	var other *server
	for _, s := range nodes {
		if s != home {
			other = s
		}
	}
	took := publishUntilReceived(t, rawClient(t, other), l, 15*time.Second)
	t.Logf("events flow again %s after the node came back", took)
	l.running(t)
}

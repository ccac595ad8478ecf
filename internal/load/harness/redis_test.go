package harness

import (
	"context"
	"os/exec"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/internal/testenv"
)

// The private cluster serves keys on every node, and a PUBLISH on one node
// reaches a subscriber of another, as the instances and the publisher need.
func TestStartRedisCluster(t *testing.T) {
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			testenv.Unavailable(t, bin, "apt-get install redis-server", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nodes, err := StartRedisCluster(ctx, t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, n := range nodes {
			n.Kill()
		}
	}()
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.Addr)
	}
	cluster := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs})
	defer cluster.Close()
	for i := range 30 {
		if err := cluster.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	sub := goredis.NewClient(&goredis.Options{Addr: addrs[2]})
	defer sub.Close()
	ps := sub.Subscribe(ctx, "notify_storage_update")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	for i, addr := range addrs {
		node := goredis.NewClient(&goredis.Options{Addr: addr})
		keys, err := node.DBSize(ctx).Result()
		if err != nil || keys == 0 {
			t.Errorf("node %d holds %d keys (%v): the keys were not spread", i, keys, err)
		}
		if s, err := ReadRedisStats(ctx, node); err != nil || s.UsedMemory == 0 || s.Clients == 0 {
			t.Errorf("node %d stats %+v, %v", i, s, err)
		}
		node.Close()
	}
	pub := goredis.NewClient(&goredis.Options{Addr: addrs[0]})
	defer pub.Close()
	if err := pub.Publish(ctx, "notify_storage_update", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if msg, err := ps.ReceiveMessage(ctx); err != nil || msg.Payload != "x" {
		t.Fatalf("the subscriber on another node got %+v, %v", msg, err)
	}
}

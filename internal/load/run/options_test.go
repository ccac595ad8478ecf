package run

import (
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseOptions(t *testing.T) {
	o, err := parseOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Conns != 19_000 || o.Baseline != 100 || o.Storm != 10_000 || o.FanoutUsers != 10_000 || o.PingInterval != 30*time.Second ||
		o.Idle != time.Minute || o.Rate != 50_000 || o.DrainRate != 20_000 || o.PerWorker != 9_000 || o.mix.String() != "custom=50,activity=25,notification=25" {
		t.Fatalf("defaults: %+v", o)
	}
	// Figures beyond the connection count are lowered to it.
	o, err = parseOptions([]string{"--conns", "50", "--baseline", "5"})
	if err != nil || o.Storm != 45 || o.FanoutUsers != 50 || o.DrainStorages != 50 {
		t.Fatalf("capped: %+v %v", o, err)
	}
	if _, err := parseOptions([]string{"--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	_, err = parseOptions([]string{"--conns", "1", "--ping-interval", "1500ms", "--mix", "storm=1", "--per-worker", "30000",
		"--server-bin", "/nonexistent/notify_push"})
	for _, want := range []string{"--conns 1", "--ping-interval 1.5s", "--mix", "--per-worker 30000", "--server-bin"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	if o, err := parseOptions([]string{"--server-bin", "options_test.go"}); err != nil || !filepath.IsAbs(o.ServerBin) {
		t.Errorf("a relative --server-bin must become absolute: %q %v", o.ServerBin, err)
	}
	if _, err := parseOptions([]string{"extra"}); err == nil {
		t.Error("a stray argument was accepted")
	}
}

func TestParseOptionsInstances(t *testing.T) {
	o, err := parseOptions(nil)
	if err != nil || o.Instances != 1 || o.RedisCluster || o.params().Instances != 1 {
		t.Fatalf("one instance by default: %+v %v", o, err)
	}
	// Several instances: the fan-out reaches every client unless told otherwise.
	o, err = parseOptions([]string{"--instances", "3", "--conns", "57000", "--redis-cluster"})
	if err != nil || o.Instances != 3 || o.FanoutUsers != 57_000 || !o.RedisCluster || !o.params().RedisCluster {
		t.Fatalf("three instances: %+v %v", o, err)
	}
	if o.FanoutRounds != 30 || o.InstanceRounds != 60 || o.params().InstanceRounds != 60 {
		t.Errorf("three instances: %d fan-out rounds, %d of each instance's own, want 30 and 60", o.FanoutRounds, o.InstanceRounds)
	}
	if _, err := parseOptions([]string{"--instances", "3", "--instance-rounds", "-1"}); err == nil ||
		!strings.Contains(err.Error(), "--instance-rounds -1") {
		t.Errorf("negative --instance-rounds: %v", err)
	}
	if o, err = parseOptions([]string{"--instances", "3", "--conns", "57000", "--fanout-users", "30000", "--fanout-rounds", "5"}); err != nil ||
		o.FanoutUsers != 30_000 || o.FanoutRounds != 5 {
		t.Fatalf("an explicit --fanout-users and --fanout-rounds: %d, %d, %v", o.FanoutUsers, o.FanoutRounds, err)
	}
	if o, err = parseOptions(nil); err != nil || o.FanoutRounds != 10 {
		t.Fatalf("one instance: %d fan-out rounds, want 10 (%v)", o.FanoutRounds, err)
	}
	_, err = parseOptions([]string{"--instances", "0"})
	if err == nil || !strings.Contains(err.Error(), "--instances 0") {
		t.Errorf("no instance: %v", err)
	}
	_, err = parseOptions([]string{"--instances", "4", "--conns", "50", "--baseline", "3"})
	if err == nil || !strings.Contains(err.Error(), "--baseline 3") {
		t.Errorf("a baseline below one connection per instance: %v", err)
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseSubscriber(t *testing.T) {
	list := "id=3 addr=127.0.0.1:5000 fd=8 name= age=9 idle=0 flags=N db=0 sub=0 psub=0 omem=0 cmd=client|list\n" +
		"id=7 addr=127.0.0.1:5001 fd=9 name= age=9 idle=0 flags=P db=0 sub=11 psub=0 omem=20480 cmd=subscribe\n"
	id, omem, err := parseSubscriber(list)
	if err != nil || id != "7" || omem != 20480 {
		t.Fatalf("id %q omem %d: %v", id, omem, err)
	}
	if _, _, err := parseSubscriber("id=3 sub=0 omem=0\n"); err == nil {
		t.Fatal("found a subscriber where there is none")
	}
}

func TestPubsubLimit(t *testing.T) {
	got := pubsubLimit("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
	if got != "hard 32.0 MiB, soft 8.0 MiB for 60 s" {
		t.Fatalf("%q", got)
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# TYPE active_connection_count gauge
active_connection_count 19000
# TYPE message_count_total counter
message_count_total 12
message_count_total{type="file"} 10
message_count_total{type="custom"} 2
# TYPE go_goroutines gauge
go_goroutines 19143
`
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if m["active_connection_count"] != 19000 || m["message_count_total"] != 12 || m[`message_count_total{type="file"}`] != 10 ||
		m["go_goroutines"] != 19143 {
		t.Fatalf("%v", m)
	}
	if _, err := parseMetrics(strings.NewReader("not metrics {{{\n")); err == nil {
		t.Fatal("garbage parsed")
	}
}

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
	if o, err := parseOptions([]string{"--server-bin", "run_test.go"}); err != nil || !filepath.IsAbs(o.ServerBin) {
		t.Errorf("a relative --server-bin must become absolute: %q %v", o.ServerBin, err)
	}
	if _, err := parseOptions([]string{"extra"}); err == nil {
		t.Error("a stray argument was accepted")
	}
}

func TestCommandLineErrorsAndHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := mainCode(context.Background(), []string{"--conns", "x"}, nil, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "loadgen: ") || !strings.Contains(errOut.String(), "--help") ||
		strings.Count(strings.TrimSpace(errOut.String()), "\n") != 0 {
		t.Errorf("bad flag: exit %d, %q", code, errOut.String())
	}
	out.Reset()
	if code := mainCode(context.Background(), []string{"--help"}, nil, &out, &errOut); code != 0 {
		t.Errorf("--help: exit %d", code)
	}
	for _, want := range []string{"-conns", "-ping-interval", "-mix", "-server-bin", "-per-source", "default 19000"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	errOut.Reset()
	if code := mainCode(context.Background(), []string{"refserver", "--ping-interval", "0s"}, nil, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "--ping-interval") {
		t.Errorf("refserver with a bad flag: exit %d, %q", code, errOut.String())
	}
}

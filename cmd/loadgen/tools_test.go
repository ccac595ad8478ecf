package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/testenv"
)

// The end-to-end tests run the real binaries, built once per test run.
var tools struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tools.dir != "" {
		os.RemoveAll(tools.dir)
	}
	os.Exit(code)
}

// builtTools builds loadgen and notify_push (once) and returns their paths.
func builtTools(t *testing.T) (loadgen, notifyPush string) {
	t.Helper()
	tools.once.Do(func() {
		if tools.dir, tools.err = os.MkdirTemp("", "loadgen-test-"); tools.err != nil {
			return
		}
		for _, pkg := range []string{".", "../notify_push"} {
			if out, err := exec.Command("go", "build", "-o", tools.dir+"/", pkg).CombinedOutput(); err != nil {
				tools.err = fmt.Errorf("build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if tools.err != nil {
		t.Fatal(tools.err)
	}
	return filepath.Join(tools.dir, "loadgen"), filepath.Join(tools.dir, "notify_push")
}

// runLoadgen runs loadgen with args against the built notify_push (it
// needs redis-server), fails the test unless it exits 0, decodes its JSON
// report into report and returns what it printed.
func runLoadgen(t *testing.T, timeout time.Duration, report any, args ...string) (stdout, stderr string) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		testenv.Unavailable(t, "redis-server", "apt-get install redis-server", err)
	}
	loadgen, notifyPush := builtTools(t)
	path := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, loadgen, append(args, "--server-bin", notifyPush, "--json", path)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("loadgen %s: %v\n%s\n%s", strings.Join(args, " "), err, errOut.String(), out.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, report); err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String()
}

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
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

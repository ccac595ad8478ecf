package release

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/notifypush/notify_push/internal/testenv"
)

// scratch is a folder for the whole run, removed at its end.
var scratch string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "release-test-")
	if err != nil {
		panic(err)
	}
	scratch = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the repository's top folder (tests run in their package's).
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// needTool finds a program the check cannot do without: missing, it fails
// the test in CI and skips it elsewhere, naming the Debian package.
func needTool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if testenv.InCI() {
		t.Fatalf("%s is required in CI but missing: apt-get install %s", name, debianPackage)
	}
	t.Skipf("%s missing: apt-get install %s", name, debianPackage)
	return ""
}

// builtServer is notify_push built from this checkout, once per run.
var builtServer = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(scratch, "notify_push")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/notify_push")
	cmd.Dir = filepath.Join("..", "..")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/notify_push: %w\n%s", err, out.String())
	}
	return bin, nil
})

func serverBinary(t testing.TB) string {
	t.Helper()
	bin, err := builtServer()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

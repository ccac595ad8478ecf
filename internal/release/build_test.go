//go:build release

package release

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSQLiteNeedsCgo: a build without cgo, like the FreeBSD release binary
// (which cannot run here), refuses a SQLite database at start with a
// configuration error that names the limitation, instead of failing on first
// use with the driver stub's message.
func TestSQLiteNeedsCgo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "notify_push-nocgo")
	build := exec.Command("go", "build", "-trimpath", "-tags", "netgo,osusergo", "-o", bin, "./cmd/notify_push")
	build.Dir = repoRoot(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	_, stderr, code := runArgv(t, []string{
		"DATABASE_URL=sqlite://" + filepath.Join(dir, "owncloud.db"),
		"REDIS_URL=redis://127.0.0.1:1", "NEXTCLOUD_URL=http://127.0.0.1:1",
	}, []string{bin})
	if code != 2 || !strings.Contains(stderr, "SQLite is not available in this build of notify_push") ||
		!strings.Contains(stderr, "CGO_ENABLED=0") {
		t.Errorf("a SQLite database without cgo: exit %d, %q; want 2 and the limitation named", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "owncloud.db")); err == nil {
		t.Error("the database file was created anyway")
	}
}

// TestReproducibleBuild rebuilds one release binary from a copy of this
// checkout at another path: the bytes must equal dist/'s. By default the copy
// shares the build cache (which -trimpath keys without the source path), so
// the static link is what is done again, in another folder; with
// NOTIFY_PUSH_REPRO=cold (make release-check REPRO=cold, minutes longer) the
// cache is empty, and every package, SQLite's C code and the link are.
func TestReproducibleBuild(t *testing.T) {
	dir := distDir(t)
	const file = "notify_push-aarch64"
	needTool(t, "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu")
	version := os.Getenv("NOTIFY_PUSH_VERSION")
	if version == "" {
		t.Fatal("NOTIFY_PUSH_VERSION is not set: run make release-check")
	}
	src := filepath.Join(t.TempDir(), "elsewhere", "notify_push-src")
	copyCheckout(t, repoRoot(t), src)
	out := t.TempDir()
	cmd := exec.Command("make", "--no-print-directory", "DIST="+out, "VERSION="+version, filepath.Join(out, file))
	cmd.Dir = src
	cmd.Env = os.Environ()
	mode := "sharing the build cache"
	if os.Getenv("NOTIFY_PUSH_REPRO") == "cold" {
		cmd.Env = append(cmd.Env, "GOCACHE="+filepath.Join(t.TempDir(), "gocache"))
		mode = "with an empty build cache"
	}
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s in a copy: %v\n%s", file, err, b)
	}
	t.Logf("rebuilt %s at another path, %s, in %v", file, mode, time.Since(start).Round(time.Second))
	if a, b := sha256File(t, filepath.Join(dir, file)), sha256File(t, filepath.Join(out, file)); a != b {
		t.Errorf("%s: dist/ has sha256 %s, the rebuild at another path %s", file, a, b)
	}
}

// copyCheckout copies the files git knows of (committed or not, ignored
// ones left out), so the copy builds what the checkout builds.
func copyCheckout(t *testing.T, from, to string) {
	t.Helper()
	list := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	list.Dir = from
	names, err := list.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, name := range strings.Split(strings.TrimSuffix(string(names), "\x00"), "\x00") {
		src := filepath.Join(from, name)
		info, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(to, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := copyFile(src, dst, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

//go:build release

package release

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/internal/testenv"
)

// TestContainerImage builds contrib/Dockerfile from dist/ with buildah, as
// `make image` does and offline (FROM scratch), in a storage of its own:
// the image holds the binary and the CA bundle and nothing else, runs as a
// numeric non-root user, and the binary runs inside it.
func TestContainerImage(t *testing.T) {
	if os.Geteuid() != 0 {
		if testenv.InCI() {
			t.Fatal("CI must run the image check as root")
		}
		t.Skip("buildah with chroot isolation needs root")
	}
	buildah := needTool(t, "buildah", "buildah")
	dir := distDir(t)
	if _, err := os.Stat(filepath.Join(dir, "ca-certificates.crt")); err != nil {
		t.Fatalf("%v: make release-check copies the CA bundle into dist/", err)
	}
	store := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		all := append([]string{"--root", filepath.Join(store, "root"), "--runroot", filepath.Join(store, "run"),
			"--storage-driver", "vfs"}, args...)
		cmd := exec.Command(buildah, all...)
		cmd.Dir = repoRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("buildah %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() {
		_ = exec.Command(buildah, "--root", filepath.Join(store, "root"), "--runroot", filepath.Join(store, "run"),
			"--storage-driver", "vfs", "rm", "--all").Run()
	})
	run("bud", "--isolation", "chroot", "--pull=never", "-f", "contrib/Dockerfile", "-t", "notify_push-go:check", dir)

	var inspect struct {
		OCIv1 struct {
			Config struct {
				User       string   `json:"User"`
				Entrypoint []string `json:"Entrypoint"`
			} `json:"config"`
		} `json:"OCIv1"`
	}
	if err := json.Unmarshal([]byte(run("inspect", "--type", "image", "notify_push-go:check")), &inspect); err != nil {
		t.Fatalf("buildah inspect: %v", err)
	}
	cfg := inspect.OCIv1.Config
	if cfg.User != "65532:65532" || !slices.Equal(cfg.Entrypoint, []string{"/usr/local/bin/notify_push"}) {
		t.Errorf("image config: user %q, entrypoint %q", cfg.User, cfg.Entrypoint)
	}

	ctr := strings.TrimSpace(run("from", "--pull=never", "notify_push-go:check"))
	mnt := strings.TrimSpace(run("mount", ctr))
	var files []string
	err := filepath.WalkDir(mnt, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(mnt, path)
			files = append(files, "/"+rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/etc/ssl/certs/ca-certificates.crt", "/usr/local/bin/notify_push"}
	if !slices.Equal(files, want) {
		t.Errorf("the image holds %v, want only %v", files, want)
	}
	if a, b := sha256File(t, filepath.Join(mnt, "usr/local/bin/notify_push")), sha256File(t, filepath.Join(dir, "notify_push-x86_64")); a != b {
		t.Error("the image's binary is not dist/notify_push-x86_64")
	}
	run("umount", ctr)

	out := run("run", "--isolation", "chroot", ctr, "--", "/usr/local/bin/notify_push", "--version")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.HasPrefix(out, "notify_push ") {
		t.Errorf("notify_push --version in the image: %q", out)
	}
}

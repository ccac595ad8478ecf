//go:build release

package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/internal/testenv"
)

const debPackage = "notify-push"

// hostDeb is the .deb of this machine's architecture that make deb built.
func hostDeb(t *testing.T) string {
	t.Helper()
	dir := distDir(t)
	version := os.Getenv("NOTIFY_PUSH_DEB_VERSION")
	if version == "" {
		t.Fatal("NOTIFY_PUSH_DEB_VERSION is not set: run make release-check")
	}
	arch, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatalf("dpkg --print-architecture: %v", err)
	}
	path := filepath.Join(dir, "notify_push_"+version+"_"+strings.TrimSpace(string(arch))+".deb")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%v: make deb builds it", err)
	}
	return path
}

// TestDebContents: the package holds the binary, the unit and the
// environment file (a conffile, readable by root only), owned by root.
func TestDebContents(t *testing.T) {
	deb := hostDeb(t)
	out := mustRun(t, "dpkg-deb", "--contents", deb)
	var files []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("dpkg-deb --contents: %q", line)
		}
		if f[1] != "root/root" {
			t.Errorf("%s is owned by %s", f[5], f[1])
		}
		if !strings.HasSuffix(f[5], "/") {
			files = append(files, f[0]+" "+f[5])
		}
	}
	want := []string{
		"-rw------- ./etc/notify_push/notify_push.env",
		"-rw-r--r-- ./lib/systemd/system/notify_push.service",
		"-rwxr-xr-x ./usr/bin/notify_push",
	}
	slices.Sort(files)
	if !slices.Equal(files, want) {
		t.Errorf("package files:\n%s\nwant:\n%s", strings.Join(files, "\n"), strings.Join(want, "\n"))
	}
	if got := mustRun(t, "dpkg-deb", "--field", deb, "Package"); strings.TrimSpace(got) != debPackage {
		t.Errorf("Package: %q", got)
	}
	ctrl := t.TempDir()
	mustRun(t, "dpkg-deb", "--control", deb, ctrl)
	if b, err := os.ReadFile(filepath.Join(ctrl, "conffiles")); err != nil || string(b) != "/etc/notify_push/notify_push.env\n" {
		t.Errorf("conffiles: %q %v", b, err)
	}
}

// TestDebInstallRemovePurge installs the package on this machine, as CI
// does (root only, and outside CI only with NOTIFY_PUSH_DEB_INSTALL=1):
// the binary runs from its installed path, the user exists, the unit is
// enabled but nothing runs, systemd-analyze accepts the unit, the start
// condition holds back an unconfigured service, an edited environment file
// survives a reinstall, and remove then purge leave nothing behind.
func TestDebInstallRemovePurge(t *testing.T) {
	if os.Geteuid() != 0 {
		if testenv.InCI() {
			t.Fatal("CI must run the package checks as root")
		}
		t.Skip("installing the package needs root")
	}
	if !testenv.InCI() && os.Getenv("NOTIFY_PUSH_DEB_INSTALL") != "1" {
		t.Skip("installs a package on this machine: set NOTIFY_PUSH_DEB_INSTALL=1 (CI does it always)")
	}
	deb := hostDeb(t)
	if installed(t) {
		t.Fatalf("%s is installed already; remove it first: dpkg --purge %s", debPackage, debPackage)
	}
	t.Cleanup(func() {
		if installed(t) {
			_ = exec.Command("dpkg", "--purge", debPackage).Run()
		}
	})

	mustRun(t, "dpkg", "-i", deb)
	out := mustRun(t, "/usr/bin/notify_push", "--version")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.HasPrefix(out, "notify_push ") {
		t.Errorf("/usr/bin/notify_push --version: %q", out)
	}
	passwd := mustRun(t, "getent", "passwd", "notify_push")
	if f := strings.Split(strings.TrimSpace(passwd), ":"); len(f) != 7 || f[6] != "/usr/sbin/nologin" {
		t.Errorf("the user: %q, want a system user without a login shell", passwd)
	}
	if exec.Command("getent", "group", "www-data").Run() == nil {
		if groups := mustRun(t, "id", "-nG", "notify_push"); !slices.Contains(strings.Fields(groups), "www-data") {
			t.Errorf("notify_push is in groups %q, want www-data too (to read config.php)", groups)
		}
	}
	if target, err := os.Readlink("/etc/systemd/system/multi-user.target.wants/notify_push.service"); err != nil ||
		target != "/lib/systemd/system/notify_push.service" {
		t.Errorf("the unit is not enabled: %q %v", target, err)
	}
	if err := exec.Command("pgrep", "-u", "notify_push").Run(); err == nil {
		t.Error("a process runs as notify_push: the install started the server")
	}
	if info, err := os.Stat("/etc/notify_push/notify_push.env"); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the environment file: %v %v, want mode 0600", info, err)
	}
	verifyUnit(t)
	checkStartCondition(t)

	// An admin's settings survive a reinstall (dpkg keeps a changed conffile).
	edited := "NEXTCLOUD_CONFIG=/var/www/nextcloud/config/config.php\n"
	if err := os.WriteFile("/etc/notify_push/notify_push.env", []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "dpkg", "-i", deb)
	if b, _ := os.ReadFile("/etc/notify_push/notify_push.env"); string(b) != edited {
		t.Errorf("after a reinstall the environment file holds %q, want the admin's %q", b, edited)
	}

	mustRun(t, "dpkg", "-r", debPackage)
	for _, gone := range []string{"/usr/bin/notify_push", "/lib/systemd/system/notify_push.service"} {
		if _, err := os.Lstat(gone); err == nil {
			t.Errorf("dpkg -r left %s", gone)
		}
	}
	if _, err := os.Stat("/etc/notify_push/notify_push.env"); err != nil {
		t.Errorf("dpkg -r removed the configuration: %v", err)
	}

	mustRun(t, "dpkg", "--purge", debPackage)
	if installed(t) {
		t.Error("still known to dpkg after --purge")
	}
	if err := exec.Command("getent", "passwd", "notify_push").Run(); err == nil {
		t.Error("the notify_push user survived --purge")
	}
	if err := exec.Command("getent", "group", "notify_push").Run(); err == nil {
		t.Error("the notify_push group survived --purge")
	}
	for _, root := range []string{"/etc", "/lib/systemd", "/usr", "/var/lib/systemd", "/var/lib/dpkg/info", "/run"} {
		out, _ := exec.Command("find", root, "-name", "*notify_push*", "-o", "-name", "*notify-push*").Output()
		if left := strings.TrimSpace(string(out)); left != "" {
			t.Errorf("--purge left under %s:\n%s", root, left)
		}
	}
}

// verifyUnit runs systemd-analyze verify on the installed unit: any
// complaint fails the test.
func verifyUnit(t *testing.T) {
	t.Helper()
	analyze := needTool(t, "systemd-analyze", "systemd")
	out, err := exec.Command(analyze, "verify", "/lib/systemd/system/notify_push.service").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// checkStartCondition runs the installed unit's ExecCondition= as systemd
// would: it stops an unconfigured service with a message naming the file,
// and lets a configured one start.
func checkStartCondition(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile("/lib/systemd/system/notify_push.service")
	if err != nil {
		t.Fatal(err)
	}
	var script string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "ExecCondition=/bin/sh -c '"); ok {
			script = strings.ReplaceAll(strings.TrimSuffix(rest, "'"), "$$", "$")
		}
	}
	if script == "" {
		t.Fatal("the unit has no ExecCondition=/bin/sh -c '...'")
	}
	for _, tt := range []struct {
		env  []string
		code int
	}{
		{[]string{"NEXTCLOUD_CONFIG="}, 1},
		{[]string{"NEXTCLOUD_CONFIG=/var/www/nextcloud/config/config.php"}, 0},
		{[]string{"NEXTCLOUD_CONFIG=", "DATABASE_URL=postgres://nextcloud@db/nextcloud"}, 0},
	} {
		_, stderr, code := runArgv(t, tt.env, []string{"/bin/sh", "-c", script})
		if code != tt.code {
			t.Errorf("ExecCondition with %v: exit %d, want %d", tt.env, code, tt.code)
		}
		if code != 0 && !strings.Contains(stderr, "/etc/notify_push/notify_push.env") {
			t.Errorf("ExecCondition with %v says %q, want where to configure", tt.env, stderr)
		}
	}
}

func installed(t *testing.T) bool {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Status}", debPackage).Output()
	return err == nil && strings.TrimSpace(string(out)) != "not-installed" && strings.TrimSpace(string(out)) != ""
}

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

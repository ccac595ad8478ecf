package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// unitDirectives reads a systemd unit into "[Section] Key=value" lines,
// comments and blank lines left out, in file order.
func unitDirectives(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = line
		default:
			out = append(out, section+" "+line)
		}
	}
	return out
}

// TestPackageUnitKeepsTheSandbox: the Debian package's unit differs from
// contrib/notify_push.service only where a package must (paths, user,
// environment file, start condition, socket folder), so hardening added to
// one is not forgotten in the other.
func TestPackageUnitKeepsTheSandbox(t *testing.T) {
	root := repoRoot(t)
	packaged := unitDirectives(t, filepath.Join(root, "contrib", "deb", "notify_push.service"))
	manual := unitDirectives(t, filepath.Join(root, "contrib", "notify_push.service"))
	mayDiffer := regexp.MustCompile(`^\[Service\] (ExecStart|ExecCondition|EnvironmentFile|User|Group|RuntimeDirectory|RuntimeDirectoryMode)=`)
	var a, b []string
	for _, d := range packaged {
		if !mayDiffer.MatchString(d) {
			a = append(a, d)
		}
	}
	for _, d := range manual {
		if !mayDiffer.MatchString(d) {
			b = append(b, d)
		}
	}
	slices.Sort(a)
	slices.Sort(b)
	for _, d := range a {
		if !slices.Contains(b, d) {
			t.Errorf("contrib/deb/notify_push.service has %q, contrib/notify_push.service does not", d)
		}
	}
	for _, d := range b {
		if !slices.Contains(a, d) {
			t.Errorf("contrib/notify_push.service has %q, contrib/deb/notify_push.service does not", d)
		}
	}
	for _, want := range []string{
		"[Service] EnvironmentFile=/etc/notify_push/notify_push.env",
		"[Service] ExecStart=/usr/bin/notify_push --glob-config $NEXTCLOUD_CONFIG",
		"[Service] User=notify_push",
	} {
		if !slices.Contains(packaged, want) {
			t.Errorf("contrib/deb/notify_push.service lacks %q", want)
		}
	}
}

// TestPackageEnvFileDocumentsEachSetting: every setting of the packaged
// environment file, set or commented out, comes right after a comment
// saying what it is, names a variable the server (or, for NEXTCLOUD_CONFIG,
// the unit) reads, and shows the server's default where it has one.
func TestPackageEnvFileDocumentsEachSetting(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "contrib", "deb", "notify_push.env"))
	if err != nil {
		t.Fatal(err)
	}
	help, err := exec.Command(serverBinary(t), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("notify_push --help: %v\n%s", err, help)
	}
	envDefault := regexp.MustCompile(`(?m)^\s+env ([A-Z_]+)(?:, default (\S+))?`)
	known := map[string]string{}
	for _, m := range envDefault.FindAllStringSubmatch(string(help), -1) {
		known[m[1]] = m[2]
	}
	if len(known) < 10 {
		t.Fatalf("read only %d variables from notify_push --help:\n%s", len(known), help)
	}
	setting := regexp.MustCompile(`^#?([A-Z][A-Z0-9_]*)=(.*)$`)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	settings := 0
	for i, line := range lines {
		m := setting.FindStringSubmatch(line)
		if m == nil {
			if line != "" && !strings.HasPrefix(line, "# ") && line != "#" {
				t.Errorf("line %d is neither a comment, a setting nor blank: %q", i+1, line)
			}
			continue
		}
		settings++
		key, value := m[1], m[2]
		if i == 0 || !strings.HasPrefix(lines[i-1], "# ") || setting.MatchString(lines[i-1]) {
			t.Errorf("line %d, %s: no comment right above it says what it is", i+1, key)
		}
		if key == "NEXTCLOUD_CONFIG" {
			continue // read by the unit's ExecStart=, not by the server
		}
		def, ok := known[key]
		switch {
		case !ok:
			t.Errorf("line %d: notify_push --help does not list %s", i+1, key)
		case def != "" && strings.HasPrefix(line, "#") && value != def:
			t.Errorf("line %d: %s shows %q, but the server's default is %q", i+1, key, value, def)
		}
	}
	if settings < 10 {
		t.Errorf("only %d settings documented", settings)
	}
}

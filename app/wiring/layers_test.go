package wiring

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/notifypush/notify_push"

// TestLayers enforces the arrows of docs/architecture.md: domain imports only
// the standard library, ports only domain, app no adapter, no adapter another
// adapter, and nothing of the product imports internal/, which holds what is
// not the product (test environment, load harness).
func TestLayers(t *testing.T) {
	for pkg, imports := range listImports(t, "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...") {
		for _, imp := range imports {
			if problem := violation(pkg, imp); problem != "" {
				t.Errorf("%s imports %s: %s", pkg, imp, problem)
			}
		}
	}
}

// TestBinariesLinkNoTesting: test machinery stays out of what ships, and out
// of the load tool, whose numbers it would distort.
func TestBinariesLinkNoTesting(t *testing.T) {
	for _, bin := range []string{"cmd/notify_push", "cmd/test_client", "cmd/loadgen"} {
		deps := listImports(t, "{{.ImportPath}} {{join .Imports \" \"}}", "-deps", module+"/"+bin)
		for pkg, imports := range deps {
			if !strings.HasPrefix(pkg, "cmd/") && !isOurs(pkg) {
				continue
			}
			for _, imp := range imports {
				if imp == "testing" {
					t.Errorf("%s links %s, which imports testing", bin, pkg)
				}
			}
		}
	}
}

// listImports runs go list and returns, for each package of ours, its
// imports (relative package paths, module prefix cut).
func listImports(t *testing.T, format string, args ...string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-f", format}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	all := make(map[string][]string)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module) {
			continue
		}
		all[strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")] = fields[1:]
	}
	return all
}

func isOurs(rel string) bool {
	for _, room := range []string{"domain", "ports", "app", "adapters", "internal", "mocks", "cmd", "docs"} {
		if rel == room || strings.HasPrefix(rel, room+"/") {
			return true
		}
	}
	return false
}

func violation(pkg, imp string) string {
	ours := strings.HasPrefix(imp, module+"/")
	rel := strings.TrimPrefix(imp, module+"/")
	stdlib := !strings.Contains(strings.Split(imp, "/")[0], ".")
	if ours && strings.HasPrefix(rel, "internal/") && !strings.HasPrefix(pkg, "internal/") && pkg != "cmd/loadgen" &&
		!strings.HasPrefix(pkg, "docs/") {
		return "the product must not import internal/ (test environment, load harness)"
	}
	switch {
	case pkg == "domain" || strings.HasPrefix(pkg, "domain/"):
		if !stdlib && !(ours && strings.HasPrefix(rel, "domain")) {
			return "domain may import only the standard library"
		}
	case pkg == "ports":
		if ours && rel != "domain" {
			return "ports may import only domain"
		}
	case pkg == "app" || strings.HasPrefix(pkg, "app/") && !strings.HasPrefix(pkg, "app/wiring"):
		if ours && strings.HasPrefix(rel, "adapters") {
			return "use cases must not know adapters; join them in app/wiring"
		}
	case strings.HasPrefix(pkg, "adapters/"):
		if ours && strings.HasPrefix(rel, "adapters/") && adapterOf(rel) != adapterOf(pkg) {
			return "an adapter must not import another adapter"
		}
	}
	return ""
}

func adapterOf(p string) string {
	parts := strings.Split(p, "/")
	if len(parts) < 2 {
		return p
	}
	return parts[1]
}

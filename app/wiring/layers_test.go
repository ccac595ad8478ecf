package wiring

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/notifypush/notify_push"

// TestLayers enforces ARCHITECTURE.md's arrows: domain imports only the
// standard library, ports only domain, app no adapter, and no adapter another
// adapter (test-support packages under adapters/testenv excepted).
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := strings.TrimPrefix(fields[0], module+"/"), fields[1:]
		for _, imp := range imports {
			if problem := violation(pkg, imp); problem != "" {
				t.Errorf("%s imports %s: %s", pkg, imp, problem)
			}
		}
	}
}

func violation(pkg, imp string) string {
	ours := strings.HasPrefix(imp, module+"/")
	rel := strings.TrimPrefix(imp, module+"/")
	stdlib := !strings.Contains(strings.Split(imp, "/")[0], ".")
	switch {
	case pkg == "domain" || strings.HasPrefix(pkg, "domain/"):
		if !stdlib && !(ours && strings.HasPrefix(rel, "domain")) {
			return "domain may import only the standard library"
		}
	case pkg == "ports":
		if ours && rel != "domain" {
			return "ports may import only domain"
		}
	case pkg == "app":
		if ours && strings.HasPrefix(rel, "adapters") {
			return "use cases must not know adapters; join them in app/wiring"
		}
	case strings.HasPrefix(pkg, "adapters/") && !strings.HasPrefix(pkg, "adapters/testenv"):
		if ours && strings.HasPrefix(rel, "adapters/") && !strings.HasPrefix(rel, "adapters/testenv") &&
			adapterOf(rel) != adapterOf(pkg) {
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

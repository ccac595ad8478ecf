package proxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snippets are every configuration file of this folder; deployment.md shows
// each of them verbatim, so that what the admin copies is what was tested.
var snippets = []string{
	"nginx.conf", "nginx-unix.conf", "nginx-upstream.conf",
	"apache.conf", "apache-unix.conf",
	"Caddyfile", "Caddyfile-unix",
	"traefik.yml",
}

func TestDeploymentDocShowsEverySnippet(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "deployment.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, name := range snippets {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, "\n"+string(b)+"```\n") {
			t.Errorf("docs/deployment.md does not show docs/proxy/%s verbatim in a code block: copy the file's current text there", name)
		}
	}
	// Other documents link to #reverse-proxy.
	if !strings.Contains(text, "\n## Reverse proxy\n") {
		t.Error(`docs/deployment.md lost its "## Reverse proxy" heading (anchor #reverse-proxy)`)
	}
}

func TestEverySnippetIsListed(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	listed := make(map[string]bool)
	for _, s := range snippets {
		listed[s] = true
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") || e.IsDir() {
			continue
		}
		if !listed[e.Name()] {
			t.Errorf("docs/proxy/%s is not in the snippets list of doc_test.go", e.Name())
		}
	}
}

package demo

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
)

// consoleFiles is the sandbox console: plain HTML, JS and CSS, no build step.
//
//go:embed console
var consoleFiles embed.FS

// consoleIndex is the page; the other files are its assets under /console/.
const consoleIndex = "index.html"

// consolePolicy lets the page load only its own assets and talk only to this
// server (fetch) and to whatever WebSocket URL the developer types.
const consolePolicy = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// ConsoleRoute serves the embedded mode's sandbox console at GET / and its
// assets at GET /console/{file}: a page that logs in over WebSocket and fires
// events through the publish route. Like that route, register it behind a
// guard that admits clients on this machine only.
type ConsoleRoute struct {
	files fs.FS
	etags map[string]string
}

// NewConsoleRoute loads the embedded page and its assets.
func NewConsoleRoute() (*ConsoleRoute, error) {
	files, err := fs.Sub(consoleFiles, "console")
	if err != nil {
		return nil, fmt.Errorf("console assets: %w", err)
	}
	names, err := fs.Glob(files, "*")
	if err != nil {
		return nil, fmt.Errorf("list console assets: %w", err)
	}
	c := &ConsoleRoute{files: files, etags: make(map[string]string, len(names))}
	for _, name := range names {
		data, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, fmt.Errorf("read console asset %s: %w", name, err)
		}
		// Embedded files carry no modification time, so a content hash is
		// what lets browsers revalidate instead of refetching.
		sum := sha256.Sum256(data)
		c.etags[name] = `"` + hex.EncodeToString(sum[:8]) + `"`
	}
	if _, ok := c.etags[consoleIndex]; !ok {
		return nil, fmt.Errorf("console assets: no %s", consoleIndex)
	}
	return c, nil
}

// Register mounts the page and its assets on mux behind localOnly.
func (c *ConsoleRoute) Register(mux *http.ServeMux, localOnly func(http.Handler) http.Handler) {
	mux.Handle("GET /{$}", localOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.serve(w, r, consoleIndex)
	})))
	mux.Handle("GET /console/{file}", localOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if name == consoleIndex || path.Base(name) != name {
			http.NotFound(w, r) // the page has one address: /
			return
		}
		c.serve(w, r, name)
	})))
}

func (c *ConsoleRoute) serve(w http.ResponseWriter, r *http.Request, name string) {
	etag, ok := c.etags[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", consolePolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	http.ServeFileFS(w, r, c.files, name)
}

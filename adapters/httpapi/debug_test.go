package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	NewDebugRoutes().Register(mux)
	return mux
}

func debugRequest(t *testing.T, mux http.Handler, method, path, remote string, header map[string]string) (int, RuntimeStats) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = remote
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	var stats RuntimeStats
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &stats); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, path, rec.Body, err)
		}
	}
	return rec.Code, stats
}

func TestDebugGCCollectsAndReports(t *testing.T) {
	mux := debugMux()
	before := ReadRuntimeStats()
	code, after := debugRequest(t, mux, "POST", "/debug/gc", "127.0.0.1:40000", nil)
	if code != http.StatusOK {
		t.Fatalf("POST /debug/gc: status %d", code)
	}
	if after.GCCycles <= before.GCCycles {
		t.Errorf("gc cycles %d → %d: no collection was forced", before.GCCycles, after.GCCycles)
	}
	if after.Goroutines < 1 || after.StackBytes == 0 || after.HeapObjects == 0 || after.HeapObjectBytes == 0 ||
		after.MetadataBytes == 0 || after.TotalBytes < after.HeapObjectBytes+after.StackBytes {
		t.Errorf("implausible breakdown: %+v", after)
	}
	if after.HeapReleasedBytes == 0 {
		t.Errorf("FreeOSMemory returned nothing to the OS: %+v", after)
	}
}

func TestDebugRuntimeCountsGoroutines(t *testing.T) {
	mux := debugMux()
	// Other goroutines come and go; only a count far above theirs is certain.
	const parked = 1000
	code, base := debugRequest(t, mux, "GET", "/debug/runtime", "[::1]:40000", nil)
	if code != http.StatusOK || base.Goroutines == 0 || base.Goroutines >= parked {
		t.Fatalf("GET /debug/runtime: status %d, %d goroutines before", code, base.Goroutines)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range parked {
		wg.Add(1)
		go func() { defer wg.Done(); <-stop }()
	}
	_, more := debugRequest(t, mux, "GET", "/debug/runtime", "[::1]:40000", nil)
	close(stop)
	wg.Wait()
	if more.Goroutines < parked {
		t.Errorf("%d goroutines reported with %d parked", more.Goroutines, parked)
	}
}

// The heap profile is pprof's format: a gzipped protocol buffer.
func TestDebugHeapProfile(t *testing.T) {
	req := httptest.NewRequest("GET", "/debug/pprof/heap", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	rec := httptest.NewRecorder()
	debugMux().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /debug/pprof/heap: status %d", rec.Code)
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatalf("the profile is not gzipped: %v", err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || len(body) == 0 {
		t.Fatalf("read the profile: %d bytes, %v", len(body), err)
	}
	// The sample types name the heap's in-use counts.
	if !bytes.Contains(body, []byte("inuse_space")) {
		t.Error("the profile has no inuse_space samples")
	}
}

func TestDebugRoutesRefuseOthers(t *testing.T) {
	mux := debugMux()
	for _, tt := range []struct {
		name, method, path, remote string
		header                     map[string]string
		want                       int
	}{
		{"remote client", "POST", "/debug/gc", "192.0.2.7:5000", nil, http.StatusForbidden},
		{"remote IPv6 client", "GET", "/debug/runtime", "[2001:db8::1]:5000", nil, http.StatusForbidden},
		{"through a proxy", "POST", "/debug/gc", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "192.0.2.7"}, http.StatusForbidden},
		{"through a Forwarded proxy", "GET", "/debug/runtime", "127.0.0.1:5000", map[string]string{"Forwarded": "for=192.0.2.7"}, http.StatusForbidden},
		{"through X-Real-IP", "GET", "/debug/runtime", "127.0.0.1:5000", map[string]string{"X-Real-IP": "192.0.2.7"}, http.StatusForbidden},
		{"another site's page", "POST", "/debug/gc", "127.0.0.1:5000", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"another origin", "POST", "/debug/gc", "127.0.0.1:5000", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"not an address", "GET", "/debug/runtime", "somewhere", nil, http.StatusForbidden},
		{"GC by GET", "GET", "/debug/gc", "127.0.0.1:5000", nil, http.StatusMethodNotAllowed},
		{"heap profile for a remote client", "GET", "/debug/pprof/heap", "192.0.2.7:5000", nil, http.StatusForbidden},
		{"heap profile through a proxy", "GET", "/debug/pprof/heap", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "192.0.2.7"}, http.StatusForbidden},
		{"unix socket peer", "GET", "/debug/runtime", "@", nil, http.StatusOK},
	} {
		if code, _ := debugRequest(t, mux, tt.method, tt.path, tt.remote, tt.header); code != tt.want {
			t.Errorf("%s: %s %s from %q: status %d, want %d", tt.name, tt.method, tt.path, tt.remote, code, tt.want)
		}
	}
}

// A metrics listener on a unix socket is local by construction.
func TestDebugRoutesOverUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "npdebug")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "metrics.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: debugMux()}
	done := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(done) }()
	defer func() { _ = srv.Close(); <-done }()
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}}}
	resp, err := client.Post("http://unix/debug/gc", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats RuntimeStats
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&stats) != nil || stats.Goroutines == 0 {
		t.Fatalf("POST /debug/gc over a unix socket: status %d, %+v", resp.StatusCode, stats)
	}
	client.CloseIdleConnections()
}

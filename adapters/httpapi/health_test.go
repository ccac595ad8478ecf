package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type readiness func(context.Context) error

func (f readiness) Ready(ctx context.Context) error { return f(ctx) }

// An anonymous request from elsewhere got the database driver's error with
// its host and port; it now gets the status and the names of what is
// missing, while this machine and the metrics listener keep the detail.
func TestHealthRouteTellsWhyOnlyLocally(t *testing.T) {
	down := errors.Join(errors.New("redis: not subscribed"),
		fmt.Errorf("database: %w", errors.New("failed to connect to user=nextcloud database=nextcloud: 127.0.0.1:1: refused\nsecond line")))
	public, metrics := http.NewServeMux(), http.NewServeMux()
	route := NewHealthRoute(readiness(func(context.Context) error { return down }))
	route.Register(public)
	route.RegisterDetailed(metrics)
	const names = `{"status":"unavailable","missing":["redis","database"]}`
	for _, tt := range []struct {
		name   string
		mux    *http.ServeMux
		remote string
		header string
		detail bool
	}{
		{"remote client", public, "203.0.113.5:4000", "", false},
		{"through a proxy on this machine", public, "127.0.0.1:4000", "X-Forwarded-For: 203.0.113.5", false},
		{"on this machine", public, "127.0.0.1:4000", "", true},
		{"metrics listener", metrics, "203.0.113.5:4000", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/push/health", nil)
			req.RemoteAddr = tt.remote
			if name, value, ok := strings.Cut(tt.header, ": "); ok {
				req.Header.Set(name, value)
			}
			rec := httptest.NewRecorder()
			tt.mux.ServeHTTP(rec, req)
			body := strings.TrimSpace(rec.Body.String())
			if rec.Code != 503 || (body == names) == tt.detail || strings.Contains(body, "127.0.0.1") == !tt.detail {
				t.Fatalf("%d %s", rec.Code, body)
			}
		})
	}
}

func TestHealthRoute(t *testing.T) {
	var err error
	mux := http.NewServeMux()
	NewHealthRoute(readiness(func(context.Context) error { return err })).Register(mux)
	for _, path := range []string{"/health", "/push/health"} {
		err = nil
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
			t.Fatalf("%s ready: %d %s", path, rec.Code, rec.Body)
		}
		err = errors.Join(errors.New("redis: not subscribed"), errors.New("database: refused"))
		rec = httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = "127.0.0.1:4000"
		mux.ServeHTTP(rec, req)
		if rec.Code != 503 || strings.TrimSpace(rec.Body.String()) != `{"status":"unavailable","missing":["redis: not subscribed","database: refused"]}` {
			t.Fatalf("%s missing: %d %s", path, rec.Code, rec.Body)
		}
	}
}

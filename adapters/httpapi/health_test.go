package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type readiness func(context.Context) error

func (f readiness) Ready(ctx context.Context) error { return f(ctx) }

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
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 503 || strings.TrimSpace(rec.Body.String()) != `{"status":"unavailable","missing":["redis: not subscribed","database: refused"]}` {
			t.Fatalf("%s missing: %d %s", path, rec.Code, rec.Body)
		}
	}
}

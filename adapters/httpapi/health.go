package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/notifypush/notify_push/ports"
)

// healthTimeout bounds one /health answer, so a hung dependency shows as
// missing instead of hanging the load balancer's probe.
const healthTimeout = 3 * time.Second

// HealthRoute serves GET /health (also /push/health) for load balancers and
// orchestrators: 200 when ready, 503 naming what is missing. Why it is
// missing (a database error names its host and port) is told only to this
// machine and on the metrics listener; a client elsewhere, or one a proxy
// forwarded, gets the names alone. The readiness it reads is a cached
// probe result: a request never reaches a dependency.
type HealthRoute struct {
	ready ports.Readiness
}

// NewHealthRoute wraps a readiness check in HTTP.
func NewHealthRoute(ready ports.Readiness) *HealthRoute { return &HealthRoute{ready: ready} }

// Register mounts the route on mux, for the public listener.
func (h *HealthRoute) Register(mux *http.ServeMux) {
	serve := func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, fromLoopback(r) && !proxied(r)) }
	mux.HandleFunc("GET /health", serve)
	mux.HandleFunc("GET /push/health", serve)
}

// RegisterDetailed mounts the route on mux with the reasons for everyone:
// for the metrics listener, which only the admin's tools reach.
func (h *HealthRoute) RegisterDetailed(mux *http.ServeMux) {
	serve := func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, true) }
	mux.HandleFunc("GET /health", serve)
	mux.HandleFunc("GET /push/health", serve)
}

type healthBody struct {
	Status  string   `json:"status"`
	Missing []string `json:"missing,omitempty"`
}

func (h *HealthRoute) serve(w http.ResponseWriter, r *http.Request, detail bool) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	body, status := healthBody{Status: "ok"}, http.StatusOK
	if err := h.ready.Ready(ctx); err != nil {
		missing := strings.Split(err.Error(), "\n")
		if !detail {
			missing = missingNames(err)
		}
		body, status = healthBody{Status: "unavailable", Missing: missing}, http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// missingNames are the names of what err says is missing: readiness errors
// are "name: why", one per dependency, joined.
func missingNames(err error) []string {
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	names := make([]string, 0, len(errs))
	for _, e := range errs {
		name, _, _ := strings.Cut(e.Error(), ":")
		names = append(names, strings.TrimSpace(name))
	}
	return names
}

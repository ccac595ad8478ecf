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
// orchestrators: 200 when ready, 503 naming what is missing.
type HealthRoute struct {
	ready ports.Readiness
}

// NewHealthRoute wraps a readiness check in HTTP.
func NewHealthRoute(ready ports.Readiness) *HealthRoute { return &HealthRoute{ready: ready} }

// Register mounts the route on mux.
func (h *HealthRoute) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /health", h.serve)
	mux.HandleFunc("GET /push/health", h.serve)
}

type healthBody struct {
	Status  string   `json:"status"`
	Missing []string `json:"missing,omitempty"`
}

func (h *HealthRoute) serve(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	body, status := healthBody{Status: "ok"}, http.StatusOK
	if err := h.ready.Ready(ctx); err != nil {
		body, status = healthBody{Status: "unavailable", Missing: strings.Split(err.Error(), "\n")}, http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

package httpapi

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// TestRoutes serves PROTOCOL §7's /test/* routes, also under /push.
type TestRoutes struct {
	st  ports.TestEndpoints
	log *slog.Logger
}

// NewTestRoutes wraps the answers to the app's test routes in HTTP.
func NewTestRoutes(st ports.TestEndpoints, log *slog.Logger) *TestRoutes {
	return &TestRoutes{st: st, log: log}
}

// Register mounts the routes on mux.
func (s *TestRoutes) Register(mux *http.ServeMux) {
	for _, prefix := range []string{"", "/push"} {
		mux.HandleFunc("GET "+prefix+"/test/cookie", s.authorized(s.cookie))
		mux.HandleFunc("GET "+prefix+"/test/reverse_cookie", s.authorized(s.reverseCookie))
		mux.HandleFunc("GET "+prefix+"/test/mapping/{storage}", s.authorized(s.mapping))
		mux.HandleFunc("GET "+prefix+"/test/remote/{ip}", s.authorized(s.remote))
		mux.HandleFunc("POST "+prefix+"/test/version", s.authorized(s.version))
	}
}

// authorized refuses a request whose token header is not the test-token,
// before anything else is touched.
func (s *TestRoutes) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.st.Authorize(r.Context(), r.Header.Get("token")); err != nil {
			s.log.Info("test route request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
			status := http.StatusForbidden
			if !errors.Is(err, domain.ErrInvalidToken) {
				status = http.StatusServiceUnavailable
			}
			http.Error(w, "invalid token", status)
			return
		}
		next(w, r)
	}
}

func (s *TestRoutes) cookie(w http.ResponseWriter, _ *http.Request) {
	text(w, strconv.FormatUint(uint64(s.st.Cookie()), 10))
}

func (s *TestRoutes) reverseCookie(w http.ResponseWriter, r *http.Request) {
	cookie, err := s.st.ReverseCookie(r.Context(), r.Header.Get("token"))
	if err != nil {
		s.log.Warn("test route: reverse cookie", "err", err)
		text(w, err.Error())
		return
	}
	text(w, strconv.FormatUint(uint64(cookie), 10))
}

func (s *TestRoutes) mapping(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("storage"), 10, 32)
	if err != nil {
		http.Error(w, "storage id must be an unsigned 32-bit integer", http.StatusBadRequest)
		return
	}
	n, err := s.st.MappingCount(r.Context(), domain.StorageID(id))
	if err != nil {
		s.log.Warn("test route: mapping", "storage", id, "err", err)
		n = 0
	}
	text(w, strconv.Itoa(n))
}

func (s *TestRoutes) remote(w http.ResponseWriter, r *http.Request) {
	ip := r.PathValue("ip")
	if net.ParseIP(ip) == nil {
		http.Error(w, "not an IP address", http.StatusBadRequest)
		return
	}
	addr, err := s.st.Remote(r.Context(), ip, r.Header.Get("token"))
	if err != nil {
		s.log.Warn("test route: remote", "err", err)
		text(w, err.Error())
		return
	}
	text(w, addr)
}

func (s *TestRoutes) version(w http.ResponseWriter, r *http.Request) {
	if err := s.st.StoreVersion(r.Context()); err != nil {
		s.log.Warn("test route: version", "err", err)
		text(w, "error")
		return
	}
	text(w, "set")
}

func text(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(body))
}

package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
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

// Register mounts the routes on mux. As upstream's, they answer any method
// but the version route, which is POST only.
func (s *TestRoutes) Register(mux *http.ServeMux) {
	for _, prefix := range []string{"", "/push"} {
		mux.HandleFunc(prefix+"/test/cookie", s.authorized(s.cookie))
		mux.HandleFunc(prefix+"/test/reverse_cookie", s.authorized(s.reverseCookie))
		mux.HandleFunc(prefix+"/test/mapping/{storage}", s.mapping)
		mux.HandleFunc(prefix+"/test/remote/{ip}", s.remote)
		mux.HandleFunc("POST "+prefix+"/test/version", s.authorized(s.version))
	}
}

// authorized refuses a request whose token header is not the test-token,
// before anything else is touched, with upstream's statuses: 400 without
// the header, 500 for a wrong token or when Redis cannot tell.
func (s *TestRoutes) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header["Token"]; !ok {
			http.Error(w, `Missing request header "token"`, http.StatusBadRequest)
			return
		}
		if err := s.st.Authorize(r.Context(), r.Header.Get("token")); err != nil {
			s.log.Info("test route request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
			msg := "invalid token"
			if !errors.Is(err, domain.ErrInvalidToken) {
				msg = "cannot check the token"
			}
			http.Error(w, msg, http.StatusInternalServerError)
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

// mapping answers 404 for an id that is not an unsigned 32-bit integer,
// whatever the token, as upstream's route does not match it.
func (s *TestRoutes) mapping(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("storage"), 10, 32)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	s.authorized(func(w http.ResponseWriter, r *http.Request) {
		n, err := s.st.MappingCount(r.Context(), domain.StorageID(id))
		if err != nil {
			s.log.Warn("test route: mapping", "storage", id, "err", err)
			n = 0
		}
		text(w, strconv.Itoa(n))
	})(w, r)
}

// remote answers 404 for what is not an IP address, as upstream's route
// does not match it; Nextcloud is sent the address in its usual form.
func (s *TestRoutes) remote(w http.ResponseWriter, r *http.Request) {
	ip, err := netip.ParseAddr(r.PathValue("ip"))
	if err != nil || ip.Zone() != "" {
		http.NotFound(w, r)
		return
	}
	s.authorized(func(w http.ResponseWriter, r *http.Request) {
		addr, err := s.st.Remote(r.Context(), ip.String(), r.Header.Get("token"))
		if err != nil {
			s.log.Warn("test route: remote", "err", err)
			text(w, err.Error())
			return
		}
		text(w, addr)
	})(w, r)
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

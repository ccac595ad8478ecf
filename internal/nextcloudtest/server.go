// Package nextcloudtest is a fake Nextcloud serving the notify_push app's
// routes, status.php and the OCS capabilities, for tests of the credential
// check, the self-test and test_client.
package nextcloudtest

import (
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Request is what the fake saw of one request (never the password).
type Request struct {
	Path         string
	Login        string
	ForwardedFor string
	UserAgent    string
	HasUserAgent bool
	Token        string
	// OCSAPIRequest and Accept are the headers an OCS client must send.
	OCSAPIRequest string
	Accept        string
}

// DefaultAppVersion is the app version the fake writes into Redis.
const DefaultAppVersion = "1.4.2"

type user struct {
	uid, password string
}

// Server is the fake; its zero configuration trusts every proxy, answers 200
// for good credentials and 401 for bad ones.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	users     map[string]user
	cookie    uint32
	token     string
	untrusted bool
	uidStatus int
	delay     time.Duration
	onVersion func()
	requests  []Request

	rdb         goredis.UniversalClient
	appVersion  string
	pushWS      string
	anonCaps    bool
	maintenance bool
	redirect    string
}

// New starts the fake (TLS when tls is true) until the test ends.
func New(t testing.TB, tls bool) *Server {
	s := &Server{users: make(map[string]user), appVersion: DefaultAppVersion}
	mux := http.NewServeMux()
	const app = "/index.php/apps/notify_push/"
	mux.HandleFunc(app+"uid", s.uid)
	mux.HandleFunc(app+"test/cookie", s.testCookie)
	mux.HandleFunc(app+"test/remote", s.testRemote)
	mux.HandleFunc(app+"test/version", s.testVersion)
	mux.HandleFunc("/status.php", s.status)
	mux.HandleFunc("/ocs/v2.php/cloud/capabilities", s.capabilities)
	handler := s.redirecting(mux)
	if tls {
		s.srv = httptest.NewTLSServer(handler)
	} else {
		s.srv = httptest.NewServer(handler)
	}
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL, with its trailing slash.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Certificate is the TLS certificate of a fake started with tls, to trust it.
func (s *Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// Close stops the fake (for "Nextcloud down" tests).
func (s *Server) Close() { s.srv.Close() }

// AddUser lets login log in as uid with password.
func (s *Server) AddUser(login, uid, password string) {
	s.mu.Lock()
	s.users[login] = user{uid: uid, password: password}
	s.mu.Unlock()
}

// SetCookie sets the value of test/cookie.
func (s *Server) SetCookie(c uint32) { s.mu.Lock(); s.cookie = c; s.mu.Unlock() }

// SetToken sets the token the test routes require.
func (s *Server) SetToken(tok string) { s.mu.Lock(); s.token = tok; s.mu.Unlock() }

// SetTrustedProxy says whether X-Forwarded-For is believed.
func (s *Server) SetTrustedProxy(trusted bool) { s.mu.Lock(); s.untrusted = !trusted; s.mu.Unlock() }

// SetUIDStatus forces the uid route to answer status (0 = normal behaviour).
func (s *Server) SetUIDStatus(status int) { s.mu.Lock(); s.uidStatus = status; s.mu.Unlock() }

// SetDelay delays every answer.
func (s *Server) SetDelay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// OnVersion runs f when test/version is called (the app writes its version
// into Redis there).
func (s *Server) OnVersion(f func()) { s.mu.Lock(); s.onVersion = f; s.mu.Unlock() }

// UseRedis makes the fake share rdb with the push server the way the app
// does: the test routes accept only the token stored under test-token there,
// test/version writes the app version into notify_push_app_version, and
// test/remote records notify_push_remote and notify_push_forwarded_header.
// SetToken is ignored meanwhile.
func (s *Server) UseRedis(rdb goredis.UniversalClient) { s.mu.Lock(); s.rdb = rdb; s.mu.Unlock() }

// SetAppVersion is the version test/version writes (DefaultAppVersion).
func (s *Server) SetAppVersion(v string) { s.mu.Lock(); s.appVersion = v; s.mu.Unlock() }

// SetPushEndpoint makes the capabilities announce notify_push with this
// WebSocket URL, as after `occ notify_push:setup`; "" leaves it out, as when
// the app is disabled or setup never ran.
func (s *Server) SetPushEndpoint(ws string) { s.mu.Lock(); s.pushWS = ws; s.mu.Unlock() }

// SetAnonymousCapabilities says whether notify_push is announced without a
// login too (real Nextcloud announces it to logged-in users only).
func (s *Server) SetAnonymousCapabilities(on bool) { s.mu.Lock(); s.anonCaps = on; s.mu.Unlock() }

// SetMaintenance turns maintenance mode on in status.php.
func (s *Server) SetMaintenance(on bool) { s.mu.Lock(); s.maintenance = on; s.mu.Unlock() }

// SetRedirect makes every request answer 301 to location followed by the
// request's path, as a server that moved to https or another name does; ""
// stops it.
func (s *Server) SetRedirect(location string) { s.mu.Lock(); s.redirect = location; s.mu.Unlock() }

// Requests returns what was received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) record(r *http.Request) {
	login, _, _ := r.BasicAuth()
	ua, hasUA := r.Header["User-Agent"]
	req := Request{Path: r.URL.Path, Login: login, ForwardedFor: r.Header.Get("X-Forwarded-For"),
		HasUserAgent: hasUA && len(ua) > 0 && ua[0] != "", Token: r.Header.Get("token"),
		OCSAPIRequest: r.Header.Get("OCS-APIREQUEST"), Accept: r.Header.Get("Accept")}
	if req.HasUserAgent {
		req.UserAgent = ua[0]
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
	}
}

func (s *Server) uid(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	s.mu.Lock()
	status := s.uidStatus
	login, password, ok := r.BasicAuth()
	u, known := s.users[login]
	s.mu.Unlock()
	switch {
	case status != 0:
		w.WriteHeader(status)
	case !ok || !known || u.password != password:
		w.WriteHeader(http.StatusUnauthorized)
	default:
		_, _ = w.Write([]byte(u.uid))
	}
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	tok, rdb := s.token, s.rdb
	s.mu.Unlock()
	if rdb != nil {
		tok, _ = rdb.Get(r.Context(), "test-token").Result()
	}
	if tok == "" || r.Header.Get("token") != tok {
		w.WriteHeader(http.StatusForbidden)
		return false
	}
	return true
}

func (s *Server) testCookie(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	if !s.authorized(w, r) {
		return
	}
	s.mu.Lock()
	c := s.cookie
	s.mu.Unlock()
	_, _ = w.Write([]byte(strconv.FormatUint(uint64(c), 10)))
}

// testRemote answers the client address as Nextcloud resolves it: the first
// forwarded address when the peer is a trusted proxy, else the peer.
func (s *Server) testRemote(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	if !s.authorized(w, r) {
		return
	}
	s.mu.Lock()
	trusted, rdb := !s.untrusted, s.rdb
	s.mu.Unlock()
	peer, _, _ := net.SplitHostPort(r.RemoteAddr)
	addr, fwd := peer, r.Header.Get("X-Forwarded-For")
	if trusted && fwd != "" {
		addr = strings.TrimSpace(strings.Split(fwd, ",")[0])
	}
	if rdb != nil {
		rdb.Set(r.Context(), "notify_push_forwarded_header", fwd, 0)
		rdb.Set(r.Context(), "notify_push_remote", peer, 0)
	}
	_, _ = w.Write([]byte(addr))
}

func (s *Server) testVersion(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	s.mu.Lock()
	f, rdb, version := s.onVersion, s.rdb, s.appVersion
	s.mu.Unlock()
	if rdb != nil {
		rdb.Set(r.Context(), "notify_push_app_version", version, 0)
	}
	if f != nil {
		f()
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) redirecting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		to := s.redirect
		s.mu.Unlock()
		if to != "" {
			s.record(r)
			http.Redirect(w, r, strings.TrimSuffix(to, "/")+r.URL.RequestURI(), http.StatusMovedPermanently)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	s.mu.Lock()
	maintenance := s.maintenance
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"installed": true, "maintenance": maintenance, "needsDbUpgrade": false,
		"version": "30.0.4.1", "versionstring": "30.0.4", "edition": "", "productname": "Nextcloud", "extendedSupport": false,
	})
}

// capabilities answers like Nextcloud's OCS endpoint: 401 for a wrong Basic
// login, and notify_push only to logged-in users unless SetAnonymousCapabilities.
func (s *Server) capabilities(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	login, password, hasAuth := r.BasicAuth()
	s.mu.Lock()
	u, known := s.users[login]
	ws, anon := s.pushWS, s.anonCaps
	s.mu.Unlock()
	if hasAuth && (!known || u.password != password) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"ocs": map[string]any{
			"meta": map[string]any{"status": "failure", "statuscode": 997, "message": "Current user is not logged in"},
			"data": []any{}}})
		return
	}
	caps := map[string]any{"core": map[string]any{"pollinterval": 60, "webdav-root": "remote.php/webdav"}}
	if hasAuth {
		caps["files_sharing"] = map[string]any{"api_enabled": true}
	}
	if ws != "" && (hasAuth || anon) {
		caps["notify_push"] = map[string]any{
			"type": []string{"files", "activities", "notifications"},
			"endpoints": map[string]any{
				"websocket": ws,
				"pre_auth":  s.URL() + "index.php/apps/notify_push/pre_auth",
			},
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ocs": map[string]any{
		"meta": map[string]any{"status": "ok", "statuscode": 200, "message": "OK"},
		"data": map[string]any{"version": map[string]any{"major": 30, "string": "30.0.4"}, "capabilities": caps}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

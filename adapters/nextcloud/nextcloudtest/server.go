// Package nextcloudtest is a fake Nextcloud serving the notify_push app's
// routes, for tests of the credential check and the self-test.
package nextcloudtest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is what the fake saw of one request (never the password).
type Request struct {
	Path         string
	Login        string
	ForwardedFor string
	UserAgent    string
	HasUserAgent bool
	Token        string
}

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
}

// New starts the fake (TLS when tls is true) until the test ends.
func New(t testing.TB, tls bool) *Server {
	s := &Server{users: make(map[string]user)}
	mux := http.NewServeMux()
	const app = "/index.php/apps/notify_push/"
	mux.HandleFunc(app+"uid", s.uid)
	mux.HandleFunc(app+"test/cookie", s.testCookie)
	mux.HandleFunc(app+"test/remote", s.testRemote)
	mux.HandleFunc(app+"test/version", s.testVersion)
	if tls {
		s.srv = httptest.NewTLSServer(mux)
	} else {
		s.srv = httptest.NewServer(mux)
	}
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL, with its trailing slash.
func (s *Server) URL() string { return s.srv.URL + "/" }

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
		HasUserAgent: hasUA && len(ua) > 0 && ua[0] != "", Token: r.Header.Get("token")}
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
	tok := s.token
	s.mu.Unlock()
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
	trusted := !s.untrusted
	s.mu.Unlock()
	addr, _, _ := net.SplitHostPort(r.RemoteAddr)
	if fwd := r.Header.Get("X-Forwarded-For"); trusted && fwd != "" {
		addr = strings.TrimSpace(strings.Split(fwd, ",")[0])
	}
	_, _ = w.Write([]byte(addr))
}

func (s *Server) testVersion(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	s.mu.Lock()
	f := s.onVersion
	s.mu.Unlock()
	if f != nil {
		f()
	}
	w.WriteHeader(http.StatusOK)
}

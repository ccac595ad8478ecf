package httpapi

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// LocalOnly admits only requests from this machine, sent by a tool rather
// than by a browser on behalf of another site's page: the peer is loopback
// (or a unix socket), no reverse proxy forwarded the request (a proxy on this
// host makes any client look local), and no page of another origin sent it
// (a "simple" cross-site POST needs no preflight, and loopback alone does not
// stop it). Others get 403.
func LocalOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if proxied(r) || crossSite(r) || !fromLoopback(r) {
			http.Error(w, "this route answers clients on this machine only", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func fromLoopback(r *http.Request) bool {
	if r.RemoteAddr == "@" || r.RemoteAddr == "" {
		return true // unix socket peer: local by construction
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// crossSite reports whether a browser sent r on behalf of a page of another
// origin. Tools such as curl send no Origin and are not affected.
func crossSite(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err != nil || !strings.EqualFold(u.Host, r.Host)
}

// proxied reports whether r came through a reverse proxy: its peer is then
// loopback even though the client may be anywhere.
func proxied(r *http.Request) bool {
	return r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != ""
}

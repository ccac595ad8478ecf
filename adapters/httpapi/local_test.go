package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestLocalOnly(t *testing.T) {
	h := LocalOnly(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, tc := range []struct {
		name   string
		remote string
		header map[string]string
		status int
	}{
		{"loopback v4", "127.0.0.1:5555", nil, http.StatusNoContent},
		{"loopback v6", "[::1]:5555", nil, http.StatusNoContent},
		{"unix socket", "@", nil, http.StatusNoContent},
		{"same origin", "127.0.0.1:5555", map[string]string{"Origin": "http://127.0.0.1:7867", "Sec-Fetch-Site": "same-origin"}, http.StatusNoContent},
		{"typed address", "127.0.0.1:5555", map[string]string{"Sec-Fetch-Site": "none"}, http.StatusNoContent},
		{"another machine", "192.0.2.7:5555", nil, http.StatusForbidden},
		{"not an address", "garbage", nil, http.StatusForbidden},
		{"another site's page", "127.0.0.1:5555", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"another port's page", "127.0.0.1:5555", map[string]string{"Origin": "http://127.0.0.1:9999"}, http.StatusForbidden},
		{"cross-site fetch", "127.0.0.1:5555", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"opaque origin", "127.0.0.1:5555", map[string]string{"Origin": "null"}, http.StatusForbidden},
		// Loopback only because a proxy on this host forwarded it.
		{"X-Forwarded-For", "127.0.0.1:5555", map[string]string{"X-Forwarded-For": "198.51.100.7"}, http.StatusForbidden},
		{"Forwarded", "127.0.0.1:5555", map[string]string{"Forwarded": "for=198.51.100.7"}, http.StatusForbidden},
		{"X-Real-IP", "127.0.0.1:5555", map[string]string{"X-Real-IP": "198.51.100.7"}, http.StatusForbidden},
	} {
		req := httptest.NewRequest("POST", "http://127.0.0.1:7867/x", nil)
		req.RemoteAddr = tc.remote
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, rec.Code, tc.status)
		}
	}
}

package demo

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"

	"github.com/notifypush/notify_push/adapters/httpapi"
	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/mocks"
)

func TestPublishRoute(t *testing.T) {
	ctrl := gomock.NewController(t)
	pub := mocks.NewMockEventPublisher(ctrl)
	mux := http.NewServeMux()
	NewPublishRoute(pub, slog.New(slog.DiscardHandler)).Register(mux, httpapi.LocalOnly)

	pub.EXPECT().Publish(gomock.Any(), "notify_activity", []byte(`{"user":"a"}`)).Return(nil)
	req := httptest.NewRequest("POST", "/embedded/publish/notify_activity", strings.NewReader(`{"user":"a"}`))
	req.RemoteAddr = "127.0.0.1:5555"
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d", rec.Code)
	}

	pub.EXPECT().Publish(gomock.Any(), "nope", gomock.Any()).Return(domain.ErrUnknownChannel)
	req = httptest.NewRequest("POST", "/embedded/publish/nope", strings.NewReader(`{}`))
	req.RemoteAddr = "[::1]:5555"
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("unknown channel: status %d", rec.Code)
	}

	req = httptest.NewRequest("POST", "/embedded/publish/notify_activity", strings.NewReader(`{"user":"a"}`))
	req.RemoteAddr = "192.0.2.7:5555"
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("non-loopback publisher: status %d", rec.Code)
	}

	// A page of another site, opened in the admin's browser, is refused; the
	// console (same origin) is not.
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example"},
		{"Origin": "http://127.0.0.1:9999"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "null"},
		{"X-Forwarded-For": "198.51.100.7"}, // loopback only because a proxy on this host forwarded it
		{"Forwarded": "for=198.51.100.7"},
		{"X-Real-IP": "198.51.100.7"},
	} {
		req = httptest.NewRequest("POST", "http://127.0.0.1:7867/embedded/publish/notify_activity", strings.NewReader(`{"user":"a"}`))
		req.RemoteAddr = "127.0.0.1:5555"
		for k, v := range h {
			req.Header.Set(k, v)
		}
		rec = httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Fatalf("cross-site publish %v: status %d", h, rec.Code)
		}
	}
	pub.EXPECT().Publish(gomock.Any(), "notify_activity", gomock.Any()).Return(nil)
	req = httptest.NewRequest("POST", "http://127.0.0.1:7867/embedded/publish/notify_activity", strings.NewReader(`{"user":"a"}`))
	req.RemoteAddr = "127.0.0.1:5555"
	req.Header.Set("Origin", "http://127.0.0.1:7867")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("same-origin publish: status %d %s", rec.Code, rec.Body)
	}

	req = httptest.NewRequest("POST", "/embedded/publish/notify_activity", strings.NewReader(strings.Repeat("x", maxPublishBody+1)))
	req.RemoteAddr = "127.0.0.1:5555"
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("huge body: status %d", rec.Code)
	}
}

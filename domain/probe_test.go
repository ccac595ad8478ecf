package domain

import (
	"errors"
	"fmt"
	"testing"
)

func TestProbeErrorTexts(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.1:443: connect: connection refused")
	tests := []struct {
		err  error
		want string
	}{
		{&ProbeError{Failure: ProbeStatus, URL: "https://c/x", Status: 404, StatusLine: "404 Not Found"}, "https://c/x answered 404 Not Found"},
		{&ProbeError{Failure: ProbeStatus, URL: "https://c/x", Status: 400, Body: "missing Upgrade"}, "https://c/x answered 400: missing Upgrade"},
		{&ProbeError{Failure: ProbeRedirect, URL: "http://c/x", Status: 301, StatusLine: "301 Moved Permanently", Location: "https://c/x"},
			"http://c/x redirects (301 Moved Permanently) to https://c/x"},
		{&ProbeError{Failure: ProbeTimeout, URL: "https://c/x", Err: cause}, "https://c/x: no answer in time"},
		{&ProbeError{Failure: ProbeUnreachable, URL: "https://c/x", Err: cause}, "https://c/x: " + cause.Error()},
		{&ProbeError{Failure: ProbeBadAnswer, URL: "https://c/x"}, "https://c/x: request failed"},
		{&PushRefusal{Text: "Invalid credentials"}, "the push server answered: err: Invalid credentials"},
		{&PushClosed{Code: 1001, Reason: "server shutting down"}, "the connection was closed (1001 going away): server shutting down"},
		{&PushClosed{Code: 4000}, "the connection was closed (4000 close code)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
	}
	wrapped := fmt.Errorf("discover: %w", &ProbeError{Failure: ProbeUnreachable, Err: cause})
	if pe, ok := ProbeFailureOf(wrapped); !ok || pe.Failure != ProbeUnreachable || !errors.Is(wrapped, cause) {
		t.Fatalf("ProbeFailureOf(%v) = %v %v", wrapped, pe, ok)
	}
	if _, ok := ProbeFailureOf(cause); ok {
		t.Fatal("plain error classified")
	}
}

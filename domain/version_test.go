package domain

import (
	"strings"
	"testing"
)

func TestParseSeries(t *testing.T) {
	tests := []struct {
		in   string
		want Series
		ok   bool
	}{
		{"1.4.0", Series{1, 4}, true},
		{"1.5.2", Series{1, 5}, true},
		{"0.6", Series{0, 6}, true},
		{"10.20.30.40", Series{10, 20}, true},
		{"1.6.0-dev.0", Series{1, 6}, true},
		{"1.4rc1", Series{1, 4}, true},
		{"1", Series{}, false},
		{"1.", Series{}, false},
		{".4", Series{}, false},
		{"v1.4.0", Series{}, false},
		{"", Series{}, false},
		{"9999999.1", Series{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseSeries(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseSeries(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSupportedAppSeries(t *testing.T) {
	for v, want := range map[string]bool{
		"0.5.9": false, "0.6.0": true, "0.7.1": true, "1.0.0": true, "1.4.2": true, "1.9.9": true,
		"1.99.0": true, "2.0.0": false, "2.0.0-beta.1": false, "3.1.0": false,
	} {
		s, ok := ParseSeries(v)
		if !ok || SupportedAppSeries.Contains(s) != want {
			t.Errorf("%s: supported = %v, want %v", v, SupportedAppSeries.Contains(s), want)
		}
	}
	if got := SupportedAppSeries.String(); got != ">= 0.6 and < 2.0" {
		t.Errorf("range text %q", got)
	}
}

func TestReportVersion(t *testing.T) {
	tests := []struct {
		app     string
		follow  bool
		want    string
		follows bool
		reason  string
	}{
		{"1.4.2", true, "1.4.2", true, ""},
		{"1.5.2", true, "1.5.2", true, ""},
		{" 1.5.2\n", true, "1.5.2", true, ""},
		{"1.9.0", true, "1.9.0", true, ""},
		{"1.6.0-dev.0", true, "1.6.0-dev.0", true, ""},
		{"0.6.0", true, "0.6.0", true, ""},
		{"0.5.3", true, Version, false, "outside the app series this server implements (>= 0.6 and < 2.0)"},
		{"2.0.0", true, Version, false, "outside"},
		{"1.5.2", false, Version, false, "turned off"},
		{"", true, Version, false, "not known yet"},
		{"1.5.2; rm -rf", true, Version, false, "not a version number"},
		{"1.5." + strings.Repeat("9", 80), true, Version, false, "not a version number"},
		{"latest", true, Version, false, "not a version number"},
	}
	for _, tt := range tests {
		r := ReportVersion(tt.app, tt.follow)
		if r.Version != tt.want || r.Following != tt.follows || !strings.Contains(r.Reason, tt.reason) {
			t.Errorf("ReportVersion(%q, %v) = %+v; want %s, following %v, reason ~%q", tt.app, tt.follow, r, tt.want, tt.follows, tt.reason)
		}
		if tt.follows && !AppAccepts(strings.TrimSpace(tt.app), r.Version) {
			t.Errorf("the app %q would refuse the followed %q", tt.app, r.Version)
		}
	}
}

func TestAppAccepts(t *testing.T) {
	tests := []struct {
		app, reported string
		want          bool
	}{
		{"1.4.2", "1.4.0", true},
		{"1.5.2", "1.4.0", false},
		{"1.6.0-dev.0", "1.6.0", false}, // the app cuts at its last dot: "1.6.0-dev" vs "1.6"
		{"1.6.0-dev.0", "1.6.0-dev.0", true},
		{"1.4.0.1", "1.4.0", false},
		{"2", "3", true}, // PHP: no dot cuts to ""
	}
	for _, tt := range tests {
		if got := AppAccepts(tt.app, tt.reported); got != tt.want {
			t.Errorf("AppAccepts(%q, %q) = %v", tt.app, tt.reported, got)
		}
	}
}

func TestStartingIsItsOwnLoginFailure(t *testing.T) {
	err := &StartingError{Waiting: []string{"redis unreachable"}}
	if got := AuthFailureOf(err); got != AuthFailureStarting || got.String() != "starting" {
		t.Fatalf("AuthFailureOf(starting) = %v", got)
	}
}

package domain

import "testing"

func TestClientKindOf(t *testing.T) {
	tests := []struct {
		ua   string
		want ClientKind
	}{
		{"Mozilla/5.0 (Linux) mirall/3.13.0git (build 20240604) (Nextcloud, ubuntu-22.04 ClientArchitecture: x86_64 OsArchitecture: x86_64)", ClientDesktop},
		{"Mozilla/5.0 (Windows) mirall/3.14.1stable-Win64 (build 20241001) (Nextcloud, windows-10.0.22631 ClientArchitecture: x86_64 OsArchitecture: x86_64)", ClientDesktop},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", ClientWeb},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", ClientWeb},
		{"Mozilla/5.0 (Android) Nextcloud-android/3.30.3", ClientAndroid},
		{"Mozilla/5.0 (Android) Nextcloud-Talk v20.1.0", ClientAndroid},
		{"Mozilla/5.0 (iOS) Nextcloud-iOS/6.1.0", ClientIOS},
		{"Mozilla/5.0 (iOS) Nextcloud-Talk v20.0.2", ClientIOS},
		{"Go-http-client/1.1", ClientOther},
		{"curl/8.5.0", ClientOther},
		{"", ClientOther},
	}
	for _, tt := range tests {
		if got := ClientKindOf(tt.ua); got != tt.want {
			t.Errorf("ClientKindOf(%q) = %v, want %v", tt.ua, got, tt.want)
		}
	}
	seen := map[string]bool{}
	for _, k := range ClientKinds {
		if seen[k.String()] {
			t.Errorf("duplicate kind name %q", k)
		}
		seen[k.String()] = true
	}
}

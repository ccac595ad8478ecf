package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/domain"
)

// The client address is read the way Nextcloud reads it, from config.php's
// trusted_proxies and forwarded_for_headers, or from settings of our own
// when there is no config.php.
func TestClientAddressSettings(t *testing.T) {
	fs := memFS{"/nc/config/config.php": `<?php $CONFIG = array (
  'dbtype' => 'sqlite3', 'overwrite.cli.url' => 'https://cloud.example.com',
  'trusted_proxies' => ['10.0.0.0/8', '192.0.2.1'],
  'forwarded_for_headers' => array('HTTP_X_FORWARDED_FOR', 'HTTP_X_REAL_IP'),
);`}
	res, err := LoadWith([]string{"/nc/config/config.php"}, fs.options(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Config; !slices.Equal(c.TrustedProxies, []string{"10.0.0.0/8", "192.0.2.1"}) ||
		!slices.Equal(c.ForwardedForHeaders, []string{"HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP"}) {
		t.Fatalf("from config.php: %q %q", c.TrustedProxies, c.ForwardedForHeaders)
	}

	res, err = Load(nil, envOf(map[string]string{"TRUSTED_PROXIES": "172.16.0.0/12, 2001:db8::1 10.1.2.3", "FORWARDED_FOR_HEADERS": "X-Real-IP"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Config; !slices.Equal(c.TrustedProxies, []string{"172.16.0.0/12", "2001:db8::1", "10.1.2.3"}) ||
		!slices.Equal(c.ForwardedForHeaders, []string{"X-Real-IP"}) {
		t.Fatalf("from the environment: %q %q", c.TrustedProxies, c.ForwardedForHeaders)
	}

	for _, bad := range []map[string]string{{"TRUSTED_PROXIES": "proxy.example.org"}, {"FORWARDED_FOR_HEADERS": "HTTP_X;FORWARDED"}} {
		if _, err := Load(nil, envOf(bad), nil); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	bad := memFS{"/nc/config/config.php": `<?php $CONFIG = array ('dbtype' => 'sqlite3', 'trusted_proxies' => '10.0.0.1');`}
	if _, err := LoadWith([]string{"/nc/config/config.php"}, bad.options(nil, nil)); err == nil ||
		!strings.Contains(err.Error(), "trusted_proxies") {
		t.Fatalf("a trusted_proxies that is not a list: %v", err)
	}
	// Empty lists are valid PHP and mean the defaults, not an error.
	empty := memFS{"/nc/config/config.php": `<?php $CONFIG = array ('dbtype' => 'sqlite3', 'trusted_proxies' => [], 'forwarded_for_headers' => array());`}
	res, err = LoadWith([]string{"/nc/config/config.php"}, empty.options(nil, nil))
	if err != nil {
		t.Fatalf("empty lists: %v", err)
	}
	if len(res.Config.TrustedProxies) != 0 || len(res.Config.ForwardedForHeaders) != 0 {
		t.Fatalf("empty lists gave %q and %q", res.Config.TrustedProxies, res.Config.ForwardedForHeaders)
	}
}

func TestClientLimitSettings(t *testing.T) {
	res, err := Load(nil, envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Config; c.MaxPendingPerAddress != app.DefaultMaxPendingPerAddress || c.AuthPerAddress != app.DefaultAuthPerAddress ||
		c.ClientFrameRate != domain.DefaultClientFrameRate {
		t.Fatalf("defaults: %d %d %d", c.MaxPendingPerAddress, c.AuthPerAddress, c.ClientFrameRate)
	}
	res, err = Load([]string{"--client-frame-rate", "50"},
		envOf(map[string]string{"MAX_PENDING_LOGINS_PER_ADDRESS": "1000", "AUTH_PER_ADDRESS": "8"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Config; c.MaxPendingPerAddress != 1000 || c.AuthPerAddress != 8 || c.ClientFrameRate != 50 {
		t.Fatalf("set: %d %d %d", c.MaxPendingPerAddress, c.AuthPerAddress, c.ClientFrameRate)
	}
	if _, err := Load(nil, envOf(map[string]string{"CLIENT_FRAME_RATE": "0"}), nil); err == nil {
		t.Fatal("a frame rate of 0 accepted")
	}
}

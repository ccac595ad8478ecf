package redis

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/testenv"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url                  string
		network, addr        string
		user, pass           string
		db, protocol         int
		tls, insecure        bool
		dialTimeout, poolMax int
	}{
		{url: "redis://localhost", network: "tcp", addr: "localhost:6379"},
		{url: "redis://127.0.0.1:6380", network: "tcp", addr: "127.0.0.1:6380"},
		{url: "redis://", network: "tcp", addr: "localhost:6379"},
		{url: "REDIS://Host:1/", network: "tcp", addr: "Host:1"},
		{url: "redis://[::1]:7000/3", network: "tcp", addr: "[::1]:7000", db: 3},
		{url: "redis://:s3cret@cache:6379/1", network: "tcp", addr: "cache:6379", pass: "s3cret", db: 1},
		{url: "redis://alice:p%40ss%2Fw0rd@cache/15", network: "tcp", addr: "cache:6379", user: "alice", pass: "p@ss/w0rd", db: 15},
		{url: "redis://alice@cache", network: "tcp", addr: "cache:6379", user: "alice"},
		{url: "redis://cache?db=4&password=x&username=u", network: "tcp", addr: "cache:6379", user: "u", pass: "x", db: 4},
		{url: "redis://cache/2?db=2", network: "tcp", addr: "cache:6379", db: 2},
		{url: "redis://cache?protocol=resp2", network: "tcp", addr: "cache:6379", protocol: 2},
		{url: "redis://cache?protocol=3&dial_timeout=2&pool_size=7", network: "tcp", addr: "cache:6379", protocol: 3, dialTimeout: 2, poolMax: 7},
		{url: "rediss://cache:6380", network: "tcp", addr: "cache:6380", tls: true},
		{url: "rediss://:pw@cache:6380/2#insecure", network: "tcp", addr: "cache:6380", pass: "pw", db: 2, tls: true, insecure: true},
		{url: "rediss://cache?skip_verify=true", network: "tcp", addr: "cache:6379", tls: true, insecure: true},
		{url: "redis+unix:///run/redis/redis.sock", network: "unix", addr: "/run/redis/redis.sock"},
		{url: "redis+unix:///run/redis.sock?db=2&pass=s3cret", network: "unix", addr: "/run/redis.sock", pass: "s3cret", db: 2},
		{url: "redis+unix://:s3cret@/run/redis.sock?db=3", network: "unix", addr: "/run/redis.sock", pass: "s3cret", db: 3},
		{url: "redis+unix:///run/redis.sock?user=alice&password=pw", network: "unix", addr: "/run/redis.sock", user: "alice", pass: "pw"},
		{url: "unix:///tmp/redis.sock", network: "unix", addr: "/tmp/redis.sock"},
		{url: "unix://alice:pw@/tmp/redis.sock?db=1", network: "unix", addr: "/tmp/redis.sock", user: "alice", pass: "pw", db: 1},
		{url: "unix://localhost/tmp/redis.sock", network: "unix", addr: "/tmp/redis.sock"},
		{url: "unix:/tmp/redis.sock", network: "unix", addr: "/tmp/redis.sock"},
		{url: "  redis://cache  ", network: "tcp", addr: "cache:6379"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			ep, err := parseURL(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			o := ep.opts
			got := []any{o.Network, o.Addr, o.Username, o.Password, o.DB, o.Protocol, ep.tls, ep.insecure}
			want := []any{tt.network, tt.addr, tt.user, tt.pass, tt.db, tt.protocol, tt.tls, tt.insecure}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("got %v, want %v (network addr user pass db protocol tls insecure)", got, want)
					break
				}
			}
			if o.DialTimeout != time.Duration(tt.dialTimeout)*time.Second || o.PoolSize != tt.poolMax {
				t.Errorf("query options: dial %v pool %d", o.DialTimeout, o.PoolSize)
			}
			if o.TLSConfig != nil {
				t.Error("TLS config set before Options applies its own")
			}
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct{ url, want string }{
		{"", "empty Redis URL"},
		{"  ", "empty Redis URL"},
		{"cache:6379", "no scheme: want redis://"},
		{"127.0.0.1:6379", "no scheme: want redis://"},
		{"/tmp/redis.sock", "no scheme"},
		{"redis:cache", "want redis://"},
		{"http://cache", `unsupported scheme "http"`},
		{"redis://cache/abc", `invalid database number "abc"`},
		{"redis://cache/-1", `invalid database number "-1"`},
		{"redis://cache/1/2", "the path must be a database number"},
		{"redis://cache?db=x", `invalid database number "x"`},
		{"redis://cache/1?db=2", "database given twice"},
		{"redis://:a@cache?password=b", "password given twice"},
		{"redis://cache:port", "invalid port"},
		{"redis://cache?bogus=1", "unexpected option: bogus"},
		{"redis://cache?db=%zz", `invalid query: invalid URL escape "%zz"`},
		{"redis://cache?dial_timeout=soon", "invalid dial_timeout duration"},
		{"redis://cache#insecure", "#insecure needs rediss://"},
		{"rediss://cache#whatever", "unknown fragment"},
		{"redis+unix://", "no socket path"},
		{"redis+unix://host/tmp/x.sock", "a unix socket URL has no host"},
		{"unix://tmp/redis.sock", "a unix socket URL has no host"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := parseURL(tt.url)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "redis URL ") && !strings.HasPrefix(err.Error(), "empty") {
				t.Errorf("error %q does not say it is about the Redis URL", err)
			}
		})
	}
}

// TestErrorsNeverShowPasswords feeds broken URLs that carry a password.
func TestErrorsNeverShowPasswords(t *testing.T) {
	const pw = "hunter2"
	for _, raw := range []string{
		"redis://:hunter2@cache:port",
		"redis://alice:hunter2@cache/abc",
		"redis://alice:hunter2@ca che",
		"redis://:hunt/er2@cache:6379", // '/' in the password: url.Parse is lost
		"redis://:hunter2@cache?db=1&password=hunter2x",
		"rediss://:hun@ter2@cache/x",
		"redis+unix:///tmp/x.sock?db=z&password=hunter2",
		"redis+unix:///tmp/x.sock?PASS=hunter2&db=z",
		"alice:hunter2@cache",
		"http://alice:hunter2@cache",
		"redis://:hunter2@%zz",
		"redis://:hu%zzter2@cache",
		"redis://cache?password=hunt%zzer2&db=x",
		"redis+unix://:hunter2@host/tmp/x.sock",
	} {
		_, err := Options{URLs: []string{raw}}.Resolve()
		if err == nil {
			t.Errorf("%s: accepted", raw)
			continue
		}
		for i := 0; i+4 <= len(pw); i++ {
			if strings.Contains(err.Error(), pw[i:i+4]) {
				t.Errorf("error shows part of the password: %v", err)
			}
		}
	}
}

func TestMaskURL(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://cache:6379/1":                 "redis://cache:6379/1",
		"redis://alice@cache":                  "redis://alice@cache",
		"redis://alice:pw@cache/1":             "redis://alice:***@cache/1",
		"redis://:p@w:d@cache":                 "redis://:***@cache",
		"redis+unix:///s.sock?db=1&password=x": "redis+unix:///s.sock?db=1&password=***",
		"unix:///s.sock?pass=x#frag":           "unix:///s.sock?pass=***#frag",
	} {
		if got := maskURL(raw); got != want {
			t.Errorf("maskURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestResolveSingle(t *testing.T) {
	r, err := Options{URLs: []string{"redis://:pw@cache/2"}}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.Cluster != nil || r.Single == nil || r.Single.DB != 2 || r.Single.Password != "pw" || !r.Single.ContextTimeoutEnabled {
		t.Fatalf("got %+v", r)
	}
	if r.Single.TLSConfig != nil {
		t.Fatal("TLS on a redis:// URL")
	}
	if _, err := (Options{}).Resolve(); err == nil {
		t.Fatal("no URL accepted")
	}
}

func TestResolveCluster(t *testing.T) {
	r, err := Options{URLs: []string{"redis://:pw@a:7000", "redis://b:7001", "redis://:pw@c"}}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	c := r.Cluster
	if r.Single != nil || c == nil || strings.Join(c.Addrs, " ") != "a:7000 b:7001 c:6379" || c.Password != "pw" {
		t.Fatalf("got %+v", c)
	}
	r, err = Options{URLs: []string{"redis://seed:7000"}, Cluster: true}.Resolve()
	if err != nil || r.Cluster == nil || len(r.Cluster.Addrs) != 1 {
		t.Fatalf("one seed in cluster mode: %+v %v", r, err)
	}
	r, err = Options{URLs: []string{"rediss://a", "rediss://b#insecure"}}.Resolve()
	if err != nil || r.Cluster.TLSConfig == nil || !r.Cluster.TLSConfig.InsecureSkipVerify {
		t.Fatalf("TLS cluster: %+v %v", r, err)
	}
	for urls, want := range map[string]string{
		"redis://a redis+unix:///s.sock":   "not a unix socket",
		"redis://a redis://b/1":            "only database 0",
		"redis://a rediss://b":             "mix redis:// and rediss://",
		"redis://:x@a redis://:y@b":        "disagree on the password",
		"redis://u@a redis://v@b":          "disagree on the user name",
		"redis://a redis://b?db=nope":      "invalid database number",
		"redis://:secret@a redis://:y@b/1": "only database 0",
	} {
		_, err := Options{URLs: strings.Fields(urls)}.Resolve()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", urls, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows a password: %v", err)
		}
	}
}

func TestResolveTLS(t *testing.T) {
	pki := testenv.NewPKI(t, "notify_push test CA")
	client := pki.Issue("notify-push.example")
	r, err := Options{URLs: []string{"rediss://cache"}, TLSCA: pki.CAFile, TLSCert: client.CertFile, TLSKey: client.KeyFile}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	cfg := r.Single.TLSConfig
	if cfg == nil || cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.InsecureSkipVerify || cfg.MinVersion != tls.VersionTLS12 {
		t.Fatalf("got %+v", cfg)
	}
	if cfg.ServerName != "" {
		t.Errorf("ServerName %q: each dial should check its own host", cfg.ServerName)
	}
	r, err = Options{URLs: []string{"rediss://cache"}, TLSDontValidateHostname: true}.Resolve()
	if err != nil || !r.Single.TLSConfig.InsecureSkipVerify || r.Single.TLSConfig.VerifyConnection == nil {
		t.Fatalf("dont-validate-hostname: %+v %v", r.Single.TLSConfig, err)
	}
	r, err = Options{URLs: []string{"rediss://cache"}, TLSInsecure: true, TLSDontValidateHostname: true}.Resolve()
	if err != nil || !r.Single.TLSConfig.InsecureSkipVerify || r.Single.TLSConfig.VerifyConnection != nil {
		t.Fatalf("insecure: %+v %v", r.Single.TLSConfig, err)
	}
	for _, o := range []Options{
		{TLSCert: client.CertFile},
		{TLSKey: client.KeyFile},
		{TLSCert: client.CertFile, TLSKey: pki.CAFile},
		{TLSCA: "/nonexistent/ca.pem"},
		{TLSCA: client.KeyFile},
	} {
		o.URLs = []string{"rediss://cache"}
		if _, err := o.Resolve(); err == nil || !strings.HasPrefix(err.Error(), "redis TLS: ") {
			t.Errorf("%+v: got %v", o, err)
		}
	}
	// TLS settings without rediss:// are ignored (NewClient warns).
	if r, err := (Options{URLs: []string{"redis://cache"}, TLSCA: "/nonexistent"}).Resolve(); err != nil || r.Single.TLSConfig != nil {
		t.Fatalf("redis:// with TLS settings: %+v %v", r, err)
	}
}

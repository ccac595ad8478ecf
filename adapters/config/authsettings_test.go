package config

import (
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/app"
)

func TestAuthSettings(t *testing.T) {
	res, err := Load(nil, envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Config; c.AuthConcurrency != app.DefaultAuthConcurrency || c.AuthQueue != app.DefaultAuthQueue ||
		c.AuthCacheTTL != app.DefaultAuthCacheTTL {
		t.Fatalf("defaults: %d %d %v", c.AuthConcurrency, c.AuthQueue, c.AuthCacheTTL)
	}

	res, err = Load([]string{"--auth-concurrency", "8", "--auth-cache-ttl=0"},
		envOf(map[string]string{"AUTH_QUEUE": " 32 ", "AUTH_CONCURRENCY": "99", "AUTH_CACHE_TTL": "5"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Config; c.AuthConcurrency != 8 || c.AuthQueue != 32 || c.AuthCacheTTL != 0 {
		t.Fatalf("flags over env: %d %d %v", c.AuthConcurrency, c.AuthQueue, c.AuthCacheTTL)
	}
	if res.Sources["auth-queue"] != FromEnv || res.Sources["auth-concurrency"] != FromFlag {
		t.Fatalf("sources %v", res.Sources)
	}
	res, err = Load(nil, envOf(map[string]string{"AUTH_CACHE_TTL": "300"}), nil)
	if err != nil || res.Config.AuthCacheTTL != 5*time.Minute {
		t.Fatalf("TTL in seconds: %v %v", res.Config.AuthCacheTTL, err)
	}

	for _, bad := range []map[string]string{
		{"AUTH_CONCURRENCY": "0"}, {"AUTH_CONCURRENCY": "-1"}, {"AUTH_CONCURRENCY": "lots"},
		{"AUTH_QUEUE": "0"}, {"AUTH_QUEUE": "1000001"}, {"AUTH_CACHE_TTL": "-5"}, {"AUTH_CACHE_TTL": "1m"},
	} {
		_, err := Load(nil, envOf(bad), nil)
		if err == nil {
			t.Errorf("%v accepted", bad)
			continue
		}
		for name := range bad {
			if !strings.Contains(err.Error(), name) || strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("%v: error %q does not name the setting on one line", bad, err)
			}
		}
	}
}

package config

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/adapters/redis"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/internal/testenv"
)

// pingTLS connects to the resolved Redis with the Redis adapter, TLS
// settings included, and returns the PING error.
func pingTLS(t *testing.T, cfg app.Config) error {
	t.Helper()
	client, closeClient, err := redis.NewClient(redis.Options{URLs: cfg.RedisURLs, Cluster: cfg.RedisCluster,
		TLSCert: cfg.RedisTLSCert, TLSKey: cfg.RedisTLSKey, TLSCA: cfg.RedisTLSCA,
		TLSDontValidateHostname: cfg.RedisTLSDontValidateHostname, TLSInsecure: cfg.RedisTLSInsecure}, nil)
	if err != nil {
		t.Fatalf("client for %q: %v", cfg.RedisURLs, err)
	}
	defer closeClient()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return client.Ping(ctx).Err()
}

// TestConfigPHPRedisTLS runs config.php's TLS forms against a redis-server
// speaking TLS only, with a certificate from a CA nobody trusts by default.
func TestConfigPHPRedisTLS(t *testing.T) {
	pki := testenv.NewPKI(t, "private Redis CA")
	byIP := testenv.StartTLSRedis(t, pki.Issue("127.0.0.1"))
	otherName := testenv.StartTLSRedis(t, pki.Issue("redis.internal.example"))
	tests := []struct {
		name    string
		srv     *testenv.RedisServer
		host    string
		context string // PHP array body of ssl_context, or "" for none
		fails   string // "" when PING must work, "any" for any error
	}{
		{"tls:// host, verify_peer false", byIP, "tls://127.0.0.1", "'verify_peer' => false", ""},
		{"rediss:// host, verify_peer false", byIP, "rediss://127.0.0.1", "'verify_peer' => false", ""},
		{"tls:// host, checked against the system", byIP, "tls://127.0.0.1", "", "certificate signed by unknown authority"},
		{"tls:// host, cafile", byIP, "tls://127.0.0.1", "'cafile' => " + phpString(pki.CAFile), ""},
		{"another name, checked", otherName, "tls://127.0.0.1", "'cafile' => " + phpString(pki.CAFile), "127.0.0.1"},
		{"another name, verify_peer_name false", otherName, "tls://127.0.0.1",
			"'cafile' => " + phpString(pki.CAFile) + ", 'verify_peer_name' => false", ""},
		{"plain host over TLS", byIP, "127.0.0.1", "", "any"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, port, err := net.SplitHostPort(tt.srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			ctxPHP := ""
			if tt.context != "" {
				ctxPHP = "\n    'ssl_context' => array (" + tt.context + "),"
			}
			cfg := loadConfigPHP(t, fmt.Sprintf("<?php\n$CONFIG = array (\n  'redis' => array (\n    'host' => %s,\n    'port' => %s,%s\n  ),\n);\n",
				phpString(tt.host), port, ctxPHP))
			err = pingTLS(t, cfg)
			switch {
			case tt.fails == "" && err != nil:
				t.Fatalf("PING over %v: %v", cfg.RedisURLs, err)
			case tt.fails == "any" && err == nil:
				t.Fatalf("PING over %v worked", cfg.RedisURLs)
			case tt.fails != "" && tt.fails != "any" && (err == nil || !strings.Contains(err.Error(), tt.fails)):
				t.Fatalf("PING over %v: %v, want an error with %q", cfg.RedisURLs, err, tt.fails)
			}
		})
	}
}

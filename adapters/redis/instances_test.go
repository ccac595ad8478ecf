package redis

import (
	"testing"

	"github.com/notifypush/notify_push/internal/contract"
	"github.com/notifypush/notify_push/ports"
)

func TestTokenClaimsContract(t *testing.T) {
	srv := startRedis(t, serverConfig{})
	client := newClient(t, Options{URLs: []string{srv.url("", 0)}})
	contract.TokenClaims(t, func(*testing.T) ports.TokenClaims { return NewTokenClaims(client) })
}

// The registry is one set in Redis: each subtest gets a server of its own.
func TestInstancesContract(t *testing.T) {
	contract.Instances(t, func(t *testing.T) ports.Instances {
		srv := startRedis(t, serverConfig{})
		return NewInstances(newClient(t, Options{URLs: []string{srv.url("", 0)}}))
	})
}

package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/ports"
)

// The keys several servers on one Redis share. The hash tag puts them in
// one slot of a cluster, so that one command reads them all.
const (
	// instancesKey is the set of instance ids that announced themselves.
	instancesKey = "{notify_push}:instances"
	// instanceKeyPrefix + id holds an instance's report, with its lifetime.
	instanceKeyPrefix = "{notify_push}:instance:"
	// claimKeyPrefix + digest marks a pre-auth token used.
	claimKeyPrefix = "{notify_push}:pre_auth_used:"
)

// Instances keeps the servers' reports in Redis: a key per instance, which
// expires unless renewed, and a set listing them.
type Instances struct {
	client goredis.UniversalClient
}

var _ ports.Instances = (*Instances)(nil)

// NewInstances shares reports through client.
func NewInstances(client goredis.UniversalClient) *Instances { return &Instances{client: client} }

// Announce stores report as instance's for ttl.
func (s *Instances) Announce(ctx context.Context, instance, report string, ttl time.Duration) error {
	_, err := s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Set(ctx, instanceKeyPrefix+instance, report, ttl)
		p.SAdd(ctx, instancesKey, instance)
		return nil
	})
	if err != nil {
		return fmt.Errorf("announce instance %s: %w", instance, err)
	}
	return nil
}

// Reports returns the live reports; instances whose report expired are
// forgotten from the set on the way.
func (s *Instances) Reports(ctx context.Context) (map[string]string, error) {
	ids, err := s.client.SMembers(ctx, instancesKey).Result()
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	if len(ids) == 0 {
		return map[string]string{}, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = instanceKeyPrefix + id
	}
	values, err := s.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("read instance reports: %w", err)
	}
	reports := make(map[string]string, len(ids))
	var gone []any
	for i, v := range values {
		if report, ok := v.(string); ok {
			reports[ids[i]] = report
		} else {
			gone = append(gone, ids[i])
		}
	}
	if len(gone) > 0 {
		// Best effort: another reader may forget them as well.
		_ = s.client.SRem(ctx, instancesKey, gone...).Err()
	}
	return reports, nil
}

// Leave removes instance's report.
func (s *Instances) Leave(ctx context.Context, instance string) error {
	_, err := s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Del(ctx, instanceKeyPrefix+instance)
		p.SRem(ctx, instancesKey, instance)
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove instance %s: %w", instance, err)
	}
	return nil
}

// TokenClaims marks pre-auth tokens used in Redis, so that every server
// sharing it lets a token log in once.
type TokenClaims struct {
	client goredis.UniversalClient
}

var _ ports.TokenClaims = (*TokenClaims)(nil)

// NewTokenClaims claims through client.
func NewTokenClaims(client goredis.UniversalClient) *TokenClaims { return &TokenClaims{client: client} }

// Claim sets the token's key only if it is not set yet (SET NX), with ttl.
func (c *TokenClaims) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	err := c.client.SetArgs(ctx, claimKeyPrefix+key, "1", goredis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	switch {
	case errors.Is(err, goredis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("claim a pre-auth token: %w", err)
	}
	return true, nil
}

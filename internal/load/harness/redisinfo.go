package harness

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// RedisStats is what one redis-server says of its own cost in INFO: the CPU
// time it has used and the memory it holds.
type RedisStats struct {
	// CPUSeconds is used_cpu_user plus used_cpu_sys, the server's main
	// thread and its children, since it started.
	CPUSeconds float64 `json:"cpu_s"`
	// UsedMemory is what its allocator holds for data (used_memory),
	// RSS what the OS sees of it (used_memory_rss).
	UsedMemory uint64 `json:"used_memory"`
	RSS        uint64 `json:"rss"`
	Clients    int    `json:"clients"`
	// BufferDisconnects is client_output_buffer_limit_disconnections, -1
	// where the version does not count them (before 7.2).
	BufferDisconnects int64 `json:"output_buffer_disconnects"`
}

// Plus sums two servers' figures: a cluster's.
func (s RedisStats) Plus(o RedisStats) RedisStats {
	d := s.BufferDisconnects + o.BufferDisconnects
	if s.BufferDisconnects < 0 || o.BufferDisconnects < 0 {
		d = -1
	}
	return RedisStats{CPUSeconds: s.CPUSeconds + o.CPUSeconds, UsedMemory: s.UsedMemory + o.UsedMemory, RSS: s.RSS + o.RSS,
		Clients: s.Clients + o.Clients, BufferDisconnects: d}
}

// ReadRedisStats asks one redis-server for its INFO.
func ReadRedisStats(ctx context.Context, c *goredis.Client) (RedisStats, error) {
	info, err := c.Info(ctx, "cpu", "memory", "clients", "stats").Result()
	if err != nil {
		return RedisStats{}, fmt.Errorf("INFO of redis %s: %w", c.Options().Addr, err)
	}
	return parseRedisInfo(info)
}

// parseRedisInfo reads the fields of RedisStats out of INFO's key:value lines.
func parseRedisInfo(info string) (RedisStats, error) {
	s := RedisStats{BufferDisconnects: -1}
	var user, sys float64
	seen := 0
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		var err error
		switch k {
		case "used_cpu_user":
			user, err = strconv.ParseFloat(v, 64)
			seen++
		case "used_cpu_sys":
			sys, err = strconv.ParseFloat(v, 64)
			seen++
		case "used_memory":
			s.UsedMemory, err = strconv.ParseUint(v, 10, 64)
			seen++
		case "used_memory_rss":
			s.RSS, err = strconv.ParseUint(v, 10, 64)
		case "connected_clients":
			s.Clients, err = strconv.Atoi(v)
		case "client_output_buffer_limit_disconnections":
			s.BufferDisconnects, err = strconv.ParseInt(v, 10, 64)
		}
		if err != nil {
			return s, fmt.Errorf("INFO field %s=%q: %w", k, v, err)
		}
	}
	if seen < 3 {
		return s, fmt.Errorf("INFO lacks used_cpu_user, used_cpu_sys or used_memory")
	}
	s.CPUSeconds = user + sys
	return s, nil
}

package redis

import (
	"context"
	"fmt"
	"log/slog"
)

// LibraryLog carries go-redis's own messages (dial retries, cluster
// reloads) into slog at debug level: the adapters already log what an
// operator must act on. go-redis's logger is process-wide, so only main may
// install it: goredis.SetLogger(redis.NewLibraryLog(log)).
type LibraryLog struct {
	log *slog.Logger
}

// NewLibraryLog writes go-redis's messages to log; a nil log drops them.
func NewLibraryLog(log *slog.Logger) *LibraryLog {
	return &LibraryLog{log: orDiscard(log).With("component", "go-redis")}
}

// Printf is go-redis's logging interface.
func (l *LibraryLog) Printf(ctx context.Context, format string, v ...any) {
	if l.log.Enabled(ctx, slog.LevelDebug) {
		l.log.DebugContext(ctx, fmt.Sprintf(format, v...))
	}
}

package redis

import (
	"log/slog"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The tests provoke outages on purpose; go-redis would print every dial
	// retry on stderr.
	goredis.SetLogger(NewLibraryLog(slog.New(slog.DiscardHandler)))
	// Every Listen, client and server a test starts must be gone at the end.
	goleak.VerifyTestMain(m)
}

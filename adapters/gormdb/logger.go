package gormdb

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"gorm.io/gorm/logger"

	"github.com/notifypush/notify_push/domain"
)

// slowQuery is the duration from which a query is worth a warning.
const slowQuery = time.Second

// explainedPlaceholder is how GORM's PostgreSQL Explain leaves a placeholder
// it has no value for: $1 becomes $1$.
var explainedPlaceholder = regexp.MustCompile(`\$(\d+)\$`)

// gormLogger routes GORM's own messages to slog. Failed queries are only
// logged at debug: their errors are returned, and whoever handles them logs
// them once. Parameters stay out of the log (see ParamsFilter), except
// through GORM's (*DB).Scan, which records SQL with its values inlined: code
// here uses Row and Rows instead.
type gormLogger struct {
	log  *slog.Logger
	slow time.Duration
}

// newGormLogger logs under upstream's database library's target, so that a
// LOG spec quieting sqlx quiets this one.
func newGormLogger(log *slog.Logger) *gormLogger {
	return &gormLogger{log: log.With(domain.TargetKey, domain.TargetDatabaseLibrary), slow: slowQuery}
}

// LogMode is ignored: the slog handler's level decides.
func (l *gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l *gormLogger) Info(ctx context.Context, msg string, args ...any) {
	l.log.DebugContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
}

func (l *gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
}

func (l *gormLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
}

// Trace warns about slow queries and notes failed ones at debug.
func (l *gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case elapsed >= l.slow:
		l.log.WarnContext(ctx, "slow database query", "sql", traced(fc), "duration", elapsed)
	case err != nil && l.log.Enabled(ctx, slog.LevelDebug):
		l.log.DebugContext(ctx, "database query failed", "sql", traced(fc), "err", err)
	}
}

func traced(fc func() (string, int64)) string {
	query, _ := fc()
	return explainedPlaceholder.ReplaceAllString(query, "$$$1")
}

// ParamsFilter keeps values out of logged SQL: GORM logs the placeholders.
func (l *gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

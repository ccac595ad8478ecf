package gormdb

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// Options configure the database side of the daemon.
type Options struct {
	// URL is DATABASE_URL: postgres://, postgresql://, mysql:// or sqlite://.
	URL string
	// Prefix is DATABASE_PREFIX, the table prefix, as given: empty means
	// none (tables mounts and filecache).
	Prefix string
}

// target is a parsed DATABASE_URL, ready to open.
type target struct {
	dialect   string // "sqlite", "postgres" or "mysql", as gorm names them
	display   string // the URL with its password masked
	secrets   secrets
	memory    bool // an in-memory SQLite database, which one connection must hold
	pool      func() *sql.DB
	dialector func(*sql.DB) gorm.Dialector
}

func parseURL(raw string) (*target, error) {
	switch scheme := splitScheme(raw); scheme {
	case "sqlite":
		if err := sqliteUnavailable(); err != nil {
			return nil, err
		}
		dsn, memory, sec, err := sqliteDSN(raw)
		if err != nil {
			return nil, err
		}
		return &target{
			dialect: "sqlite",
			display: RedactURL(raw),
			secrets: sec,
			memory:  memory,
			pool: func() *sql.DB {
				// sql.Open fails only for an unknown driver; gorm's sqlite package registers this one.
				db, _ := sql.Open(sqlite.DriverName, dsn)
				return db
			},
			dialector: func(db *sql.DB) gorm.Dialector { return sqlite.New(sqlite.Config{Conn: db}) },
		}, nil
	case "postgres", "postgresql":
		conn, sec, err := postgresConnString(raw)
		if err != nil {
			return nil, err
		}
		cfg, err := pgx.ParseConfig(conn)
		if err != nil {
			return nil, sec.scrub(fmt.Errorf("PostgreSQL URL: %w", err))
		}
		return &target{
			dialect:   "postgres",
			display:   RedactURL(raw),
			secrets:   sec,
			pool:      func() *sql.DB { return stdlib.OpenDB(*cfg) },
			dialector: func(db *sql.DB) gorm.Dialector { return postgres.New(postgres.Config{Conn: db}) },
		}, nil
	case "mysql":
		cfg, sec, err := mysqlConfig(raw)
		if err != nil {
			return nil, sec.scrub(err)
		}
		connector, err := gomysql.NewConnector(cfg)
		if err != nil {
			return nil, sec.scrub(fmt.Errorf("MySQL URL: %w", err))
		}
		return &target{
			dialect: "mysql",
			display: RedactURL(raw),
			secrets: sec,
			pool:    func() *sql.DB { return sql.OpenDB(connector) },
			dialector: func(db *sql.DB) gorm.Dialector {
				// The version query would run without a context, and nothing here needs it.
				return mysql.New(mysql.Config{Conn: db, SkipInitializeWithVersion: true})
			},
		}, nil
	default:
		return nil, unsupportedScheme(scheme)
	}
}

// Open connects to the database rawURL names (see Options.URL) and checks the
// connection within ctx. The returned func closes it. Errors and logs never
// show the password.
func Open(ctx context.Context, rawURL string, log *slog.Logger) (*gorm.DB, func(), error) {
	return open(ctx, rawURL, log, true)
}

// OpenLazy prepares the database rawURL names without connecting: the pool
// connects on first use, so a database that is down at start is no error and
// is used as soon as it answers. Only a URL that can never work fails.
// (SQLite, which cannot be down, still opens its file at once.)
func OpenLazy(ctx context.Context, rawURL string, log *slog.Logger) (*gorm.DB, func(), error) {
	return open(ctx, rawURL, log, false)
}

func open(ctx context.Context, rawURL string, log *slog.Logger, ping bool) (*gorm.DB, func(), error) {
	log = orDiscard(log)
	t, err := parseURL(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB := t.pool()
	configurePool(sqlDB, t)
	if ping {
		if err := sqlDB.PingContext(ctx); err != nil {
			_ = sqlDB.Close()
			return nil, nil, t.secrets.scrub(fmt.Errorf("connect to database %s: %w", t.display, err))
		}
	}
	db, err := gorm.Open(t.dialector(sqlDB), &gorm.Config{
		Logger:                 newGormLogger(log),
		SkipDefaultTransaction: true,
		DisableAutomaticPing:   true,
	})
	if err != nil {
		_ = sqlDB.Close()
		return nil, nil, t.secrets.scrub(fmt.Errorf("open database %s: %w", t.display, err))
	}
	if ping {
		log.Info("database connected", "url", t.display)
	} else {
		log.Debug("database prepared; it connects on first use", "url", t.display)
	}
	closeDB := func() {
		if err := sqlDB.Close(); err != nil {
			log.Warn("close database", "url", t.display, "err", t.secrets.scrub(err))
		}
	}
	return db, closeDB, nil
}

// OpenDB opens Options.URL lazily (OpenLazy): the production provider of
// *gorm.DB, which must not fail because the database is down at start.
func OpenDB(ctx context.Context, opts Options, log *slog.Logger) (*gorm.DB, func(), error) {
	return OpenLazy(ctx, opts.URL, log)
}

// Ping checks that db answers, for readiness checks. Drivers' errors name
// the host and user, never the password.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

func configurePool(db *sql.DB, t *target) {
	switch {
	case t.memory:
		// Every connection to :memory: is a new, empty database: keep exactly one, forever.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
	case t.dialect == "sqlite":
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(2)
	default:
		// Queries come at most every few minutes per storage; a small pool suffices.
		db.SetMaxOpenConns(10)
		db.SetMaxIdleConns(2)
		db.SetConnMaxIdleTime(5 * time.Minute)
		db.SetConnMaxLifetime(30 * time.Minute)
	}
}

func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

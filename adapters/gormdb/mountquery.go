package gormdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// MountQuery runs the storage mapping query of PROTOCOL §5, uncached. Build it
// with NewMountQuery; the zero value is useless.
type MountQuery struct {
	db       *gorm.DB
	sql      string
	counters *domain.Counters
}

var _ ports.MountStore = (*MountQuery)(nil)

// NewMountQuery reads the tables {prefix}mounts and {prefix}filecache of db;
// an empty prefix reads mounts and filecache. Every query that succeeds
// counts in counters.MappingQueries, as upstream counts them.
func NewMountQuery(db *gorm.DB, prefix string, counters *domain.Counters) (*MountQuery, error) {
	if db == nil || counters == nil {
		return nil, errors.New("mount query needs a database and counters")
	}
	prefix, err := ValidatePrefix(prefix)
	if err != nil {
		return nil, err
	}
	return &MountQuery{
		db:       db,
		sql:      "SELECT user_id, path FROM " + prefix + "mounts INNER JOIN " + prefix + "filecache ON root_id = fileid WHERE storage_id = ?",
		counters: counters,
	}, nil
}

// MountQueryFrom is NewMountQuery with the prefix of opts, for wire.
func MountQueryFrom(db *gorm.DB, opts Options, counters *domain.Counters) (*MountQuery, error) {
	return NewMountQuery(db, opts.Prefix, counters)
}

// MountsFor returns every mount of storage, in no particular order; none for
// a storage nobody mounts. A NULL root path reads as "", the whole storage,
// so that one odd row never fails the storage.
func (q *MountQuery) MountsFor(ctx context.Context, storage domain.StorageID) ([]domain.Mount, error) {
	rows, err := q.db.WithContext(ctx).Raw(q.sql, int64(storage)).Rows()
	if err != nil {
		return nil, fmt.Errorf("load mounts of storage %d: %w", storage, err)
	}
	defer rows.Close()
	var mounts []domain.Mount
	for rows.Next() {
		var user string
		var root sql.NullString
		if err := rows.Scan(&user, &root); err != nil {
			return nil, fmt.Errorf("load mounts of storage %d: %w", storage, err)
		}
		mounts = append(mounts, domain.Mount{User: domain.UserID(user), Root: root.String})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load mounts of storage %d: %w", storage, err)
	}
	q.counters.MappingQueries.Add(1)
	return mounts, nil
}

package gormdb

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/domain"
)

// DemoWorld describes the data SeedDemo writes: three users with a home
// storage each, and storage 10, shared, which alice mounts whole, bob from
// files/Team and carol from files/Team/Design. So a change at
// files/Team/Design/logo.png on storage 10 reaches all three,
// files/Team/notes.md alice and bob, and files/other.txt alice only.
type DemoWorld struct {
	Users  []domain.UserID
	Mounts []DemoMount
	Files  []DemoFile
}

// DemoMount is one row of {prefix}mounts in the demo.
type DemoMount struct {
	User    domain.UserID
	Storage domain.StorageID
	// Root is the filecache path of the mount's root folder; "" is the whole storage.
	Root string
	// MountPoint is where the user sees the mount, as Nextcloud records it.
	MountPoint string
}

// DemoFile is one row of {prefix}filecache in the demo.
type DemoFile struct {
	ID      domain.FileID
	Storage domain.StorageID
	Path    string
}

// Demo returns the demo world; each call returns a new copy.
func Demo() DemoWorld {
	return DemoWorld{
		Users: []domain.UserID{"alice", "bob", "carol"},
		Mounts: []DemoMount{
			{User: "alice", Storage: 1, Root: "", MountPoint: "/alice/"},
			{User: "bob", Storage: 2, Root: "", MountPoint: "/bob/"},
			{User: "carol", Storage: 3, Root: "", MountPoint: "/carol/"},
			{User: "alice", Storage: 10, Root: "", MountPoint: "/alice/files/Company/"},
			{User: "bob", Storage: 10, Root: "files/Team", MountPoint: "/bob/files/Team/"},
			{User: "carol", Storage: 10, Root: "files/Team/Design", MountPoint: "/carol/files/Design/"},
		},
		Files: []DemoFile{
			{ID: 1, Storage: 1, Path: ""},
			{ID: 2, Storage: 1, Path: "files"},
			{ID: 3, Storage: 2, Path: ""},
			{ID: 4, Storage: 2, Path: "files"},
			{ID: 5, Storage: 3, Path: ""},
			{ID: 6, Storage: 3, Path: "files"},
			{ID: 10, Storage: 10, Path: ""},
			{ID: 11, Storage: 10, Path: "files"},
			{ID: 12, Storage: 10, Path: "files/Team"},
			{ID: 13, Storage: 10, Path: "files/Team/Design"},
			{ID: 14, Storage: 10, Path: "files/Team/Design/logo.png"},
			{ID: 15, Storage: 10, Path: "files/Team/notes.md"},
			{ID: 16, Storage: 10, Path: "files/other.txt"},
		},
	}
}

// UsersFor is who a change at path on storage concerns in the demo world.
func (w DemoWorld) UsersFor(storage domain.StorageID, path string) []domain.UserID {
	var mounts []domain.Mount
	for _, m := range w.Mounts {
		if m.Storage == storage {
			mounts = append(mounts, domain.Mount{User: m.User, Root: m.Root})
		}
	}
	return domain.UsersForPath(mounts, path)
}

// demoMTime is 2026-01-01T00:00:00Z, so that every seeding writes the same rows.
const demoMTime = 1767225600

// SeedDemo writes the Demo world into tables made by CreateNextcloudSchema.
// Rows already there (same storage and path, or same user, storage and root)
// are kept, so it may run more than once. For tests and the embedded demo
// only; the production path never writes.
func SeedDemo(ctx context.Context, db *gorm.DB, prefix string) error {
	prefix, err := ValidatePrefix(prefix)
	if err != nil {
		return err
	}
	w := Demo()
	ids := make(map[domain.StorageID]map[string]domain.FileID)
	for _, f := range w.Files {
		if ids[f.Storage] == nil {
			ids[f.Storage] = make(map[string]domain.FileID)
		}
		ids[f.Storage][f.Path] = f.ID
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, f := range w.Files {
			if err := seedFile(tx, prefix, f, ids[f.Storage]); err != nil {
				return err
			}
		}
		for _, m := range w.Mounts {
			if err := seedMount(tx, prefix, m); err != nil {
				return err
			}
		}
		if db.Name() == "postgres" {
			// Explicit ids leave the sequence behind; move it past them for later inserts.
			q := "SELECT setval(pg_get_serial_sequence(?, 'fileid'), (SELECT MAX(fileid) FROM " + prefix + "filecache))"
			if err := tx.Exec(q, prefix+"filecache").Error; err != nil {
				return fmt.Errorf("advance file id sequence: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed demo data with prefix %s: %w", prefix, err)
	}
	return nil
}

func seedFile(tx *gorm.DB, prefix string, f DemoFile, byPath map[string]domain.FileID) error {
	hash := pathHash(f.Path)
	var n int64
	if err := tx.Raw("SELECT COUNT(*) FROM "+prefix+"filecache WHERE storage = ? AND path_hash = ?", int64(f.Storage), hash).
		Row().Scan(&n); err != nil {
		return fmt.Errorf("look up file %q of storage %d: %w", f.Path, f.Storage, err)
	}
	if n > 0 {
		return nil
	}
	parent, name, perms := int64(-1), "", 31 // a folder with every permission
	if f.Path != "" {
		parent, name = int64(byPath[parentPath(f.Path)]), path.Base(f.Path)
		if path.Ext(name) != "" {
			perms = 27 // a file: everything but create
		}
	}
	insert := "INSERT INTO " + prefix + "filecache (fileid, storage, path, path_hash, parent, name, size, mtime, " +
		"storage_mtime, etag, permissions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	etag := hash[:13] // Nextcloud's etags are uniqid()-like; any stable text does here
	if err := tx.Exec(insert, int64(f.ID), int64(f.Storage), f.Path, hash, parent, name, 0, demoMTime, demoMTime,
		etag, perms).Error; err != nil {
		return fmt.Errorf("insert file %q of storage %d: %w", f.Path, f.Storage, err)
	}
	return nil
}

func seedMount(tx *gorm.DB, prefix string, m DemoMount) error {
	var root int64
	if err := tx.Raw("SELECT fileid FROM "+prefix+"filecache WHERE storage = ? AND path_hash = ?", int64(m.Storage), pathHash(m.Root)).
		Row().Scan(&root); err != nil {
		return fmt.Errorf("find root %q of storage %d: %w", m.Root, m.Storage, err)
	}
	var n int64
	if err := tx.Raw("SELECT COUNT(*) FROM "+prefix+"mounts WHERE user_id = ? AND storage_id = ? AND root_id = ?",
		string(m.User), int64(m.Storage), root).Row().Scan(&n); err != nil {
		return fmt.Errorf("look up mount of storage %d for %s: %w", m.Storage, m.User, err)
	}
	if n > 0 {
		return nil
	}
	provider := `OCA\Files_Sharing\MountProvider`
	if m.Root == "" && m.MountPoint == "/"+string(m.User)+"/" {
		provider = `OC\Files\Mount\LocalHomeMountProvider`
	}
	insert := "INSERT INTO " + prefix + "mounts (storage_id, root_id, user_id, mount_point, mount_provider_class) VALUES (?, ?, ?, ?, ?)"
	if err := tx.Exec(insert, int64(m.Storage), root, string(m.User), m.MountPoint, provider).Error; err != nil {
		return fmt.Errorf("insert mount of storage %d for %s: %w", m.Storage, m.User, err)
	}
	return nil
}

// pathHash is Nextcloud's filecache path_hash: the hex MD5 of the path.
func pathHash(p string) string {
	sum := md5.Sum([]byte(p))
	return hex.EncodeToString(sum[:])
}

func parentPath(p string) string {
	if dir := path.Dir(p); dir != "." {
		return dir
	}
	return ""
}

// OpenDemoDB opens a new in-memory SQLite database holding the Demo world,
// with the table prefix of opts: the embedded mode's provider of *gorm.DB.
// opts.URL is ignored, so that the demo never writes into a real database.
func OpenDemoDB(ctx context.Context, opts Options, log *slog.Logger) (*gorm.DB, func(), error) {
	db, closeDB, err := Open(ctx, "sqlite::memory:", log)
	if err != nil {
		return nil, nil, err
	}
	if err := CreateNextcloudSchema(ctx, db, opts.Prefix); err != nil {
		closeDB()
		return nil, nil, err
	}
	if err := SeedDemo(ctx, db, opts.Prefix); err != nil {
		closeDB()
		return nil, nil, err
	}
	return db, closeDB, nil
}

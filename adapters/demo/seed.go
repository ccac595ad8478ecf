package demo

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"path"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/domain"
)

// demoMTime is 2026-01-01T00:00:00Z, so that every seeding writes the same rows.
const demoMTime = 1767225600

// Seed writes the world w into Nextcloud-shaped tables under prefix (made by
// gormdb.CreateNextcloudSchema). Rows already there (same storage and path,
// or same user, storage and root) are kept, so it may run more than once.
// For tests and the embedded demo only; the production path never writes.
func Seed(ctx context.Context, db *gorm.DB, prefix string, w World) error {
	if err := domain.CheckTablePrefix(prefix); err != nil {
		return err
	}
	ids := make(map[domain.StorageID]map[string]domain.FileID)
	for _, f := range w.Files {
		if ids[f.Storage] == nil {
			ids[f.Storage] = make(map[string]domain.FileID)
		}
		ids[f.Storage][f.Path] = f.ID
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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

func seedFile(tx *gorm.DB, prefix string, f File, byPath map[string]domain.FileID) error {
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

func seedMount(tx *gorm.DB, prefix string, m Mount) error {
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

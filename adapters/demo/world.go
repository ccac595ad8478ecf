package demo

import (
	"github.com/notifypush/notify_push/domain"
)

// World is the demo: three users with a home storage each, and storage 10,
// shared, which alice mounts whole, bob from files/Team and carol from
// files/Team/Design. So a change at files/Team/Design/logo.png on storage 10
// reaches all three, files/Team/notes.md alice and bob, and files/other.txt
// alice only. Seed writes it into Nextcloud-shaped tables; Banner and the
// console show it.
type World struct {
	Users []domain.UserID
	// Logins are the demo's credentials: password = login, and alice may
	// also log in by email address, as Nextcloud allows.
	Logins []Login
	Mounts []Mount
	Files  []File
}

// Login is one login of the demo's static authenticator.
type Login struct {
	Login    string
	UID      domain.UserID
	Password string
}

// Mount is one row of {prefix}mounts in the demo.
type Mount struct {
	User    domain.UserID
	Storage domain.StorageID
	// Root is the filecache path of the mount's root folder; "" is the whole storage.
	Root string
	// MountPoint is where the user sees the mount, as Nextcloud records it.
	MountPoint string
}

// File is one row of {prefix}filecache in the demo.
type File struct {
	ID      domain.FileID
	Storage domain.StorageID
	Path    string
}

// Default returns the demo world; each call returns a new copy.
func Default() World {
	return World{
		Users: []domain.UserID{"alice", "bob", "carol"},
		Logins: []Login{
			{Login: "alice", UID: "alice", Password: "alice"},
			{Login: "alice@example.com", UID: "alice", Password: "alice"},
			{Login: "bob", UID: "bob", Password: "bob"},
			{Login: "carol", UID: "carol", Password: "carol"},
		},
		Mounts: []Mount{
			{User: "alice", Storage: 1, Root: "", MountPoint: "/alice/"},
			{User: "bob", Storage: 2, Root: "", MountPoint: "/bob/"},
			{User: "carol", Storage: 3, Root: "", MountPoint: "/carol/"},
			{User: "alice", Storage: 10, Root: "", MountPoint: "/alice/files/Company/"},
			{User: "bob", Storage: 10, Root: "files/Team", MountPoint: "/bob/files/Team/"},
			{User: "carol", Storage: 10, Root: "files/Team/Design", MountPoint: "/carol/files/Design/"},
		},
		Files: []File{
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
func (w World) UsersFor(storage domain.StorageID, path string) []domain.UserID {
	var mounts []domain.Mount
	for _, m := range w.Mounts {
		if m.Storage == storage {
			mounts = append(mounts, domain.Mount{User: m.User, Root: m.Root})
		}
	}
	return domain.UsersForPath(mounts, path)
}

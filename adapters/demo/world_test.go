package demo

import (
	"slices"
	"testing"

	"github.com/notifypush/notify_push/domain"
)

// The demo's promises, written out by hand: who a change at path on storage
// reaches.
var promises = []struct {
	storage domain.StorageID
	path    string
	users   []domain.UserID
}{
	{10, "files/Team/Design/logo.png", []domain.UserID{"alice", "bob", "carol"}},
	{10, "files/Team/notes.md", []domain.UserID{"alice", "bob"}},
	{10, "files/other.txt", []domain.UserID{"alice"}},
	{1, "files/report.odt", []domain.UserID{"alice"}},
	{2, "files/x", []domain.UserID{"bob"}},
	{3, "files/y", []domain.UserID{"carol"}},
	{4, "files/z", nil},
}

func sortedUsers(users []domain.UserID) []domain.UserID {
	out := slices.Clone(users)
	slices.Sort(out)
	return out
}

func TestWorldKeepsItsPromises(t *testing.T) {
	w := Default()
	for _, p := range promises {
		if got := sortedUsers(w.UsersFor(p.storage, p.path)); !slices.Equal(got, p.users) {
			t.Errorf("UsersFor(%d, %q) = %v, want %v", p.storage, p.path, got, p.users)
		}
	}
	for _, l := range w.Logins {
		if !slices.Contains(w.Users, l.UID) {
			t.Errorf("login %q is for %q, who is not a demo user", l.Login, l.UID)
		}
	}
}

func TestDefaultReturnsFreshCopies(t *testing.T) {
	w := Default()
	w.Mounts[0].User = "mallory"
	w.Users[0] = "mallory"
	w.Logins[0].Password = "stolen"
	d := Default()
	if d.Mounts[0].User != "alice" || d.Users[0] != "alice" || d.Logins[0].Password != "alice" {
		t.Fatal("Default() shares its slices")
	}
}

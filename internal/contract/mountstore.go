package contract

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// MountRow is one mount as Nextcloud records it: User has Storage mounted
// from the folder RootID, whose path on that storage is Root (nil: NULL).
// Rows may share a root folder, which then has one path.
type MountRow struct {
	User    domain.UserID
	Storage domain.StorageID
	RootID  domain.FileID
	Root    *string
}

// MountStore checks a ports.MountStore over Nextcloud's data: each mount of
// a storage once per row, its root as a folder that contains a path, nothing for an
// unknown storage, and an error for a call whose context has ended.
// newStore builds one over exactly rows, once per subtest.
func MountStore(t *testing.T, newStore func(t *testing.T, rows []MountRow) ports.MountStore) {
	t.Run("the mounts of a storage and no other", func(t *testing.T) {
		s := newStore(t, []MountRow{
			{"alice", 5, 100, root("")},
			{"bob", 5, 101, root("files/a")},
			{"carol", 6, 102, root("")},
		})
		got := MountsFor(t, s, 5)
		sameMounts(t, got, domain.Mount{User: "alice", Root: ""}, domain.Mount{User: "bob", Root: "files/a"})
		for path, want := range map[string][]domain.UserID{
			"files/a/x.txt": {"alice", "bob"},
			"files/ab":      {"alice"}, // a folder boundary (PROTOCOL §5), not upstream's plain starts_with
			"files/b":       {"alice"},
			"":              {"alice"},
		} {
			if users := SortedUsers(domain.UsersForPath(got, path)); !slices.Equal(users, want) {
				t.Errorf("users for %q = %v, want %v", path, users, want)
			}
		}
		sameMounts(t, MountsFor(t, s, 6), domain.Mount{User: "carol", Root: ""})
	})

	t.Run("a NULL root path is the whole storage", func(t *testing.T) {
		s := newStore(t, []MountRow{{"alice", 7, 200, nil}})
		sameMounts(t, MountsFor(t, s, 7), domain.Mount{User: "alice", Root: ""})
	})

	t.Run("several mounts of one user, one per row", func(t *testing.T) {
		s := newStore(t, []MountRow{
			{"carol", 8, 300, root("files/x")},
			{"carol", 8, 301, root("files/y")},
			{"carol", 8, 300, root("files/x")}, // the same folder at a second mount point
		})
		got := MountsFor(t, s, 8)
		sameMounts(t, got,
			domain.Mount{User: "carol", Root: "files/x"}, domain.Mount{User: "carol", Root: "files/x"},
			domain.Mount{User: "carol", Root: "files/y"})
		if users := domain.UsersForPath(got, "files/x/1"); !slices.Equal(users, []domain.UserID{"carol"}) {
			t.Fatalf("users = %v, want carol once", users)
		}
	})

	t.Run("an unknown storage has no mounts", func(t *testing.T) {
		s := newStore(t, []MountRow{{"alice", 1, 1, root("")}})
		if got := MountsFor(t, s, 404); len(got) != 0 {
			t.Fatalf("mounts = %v, want none", got)
		}
	})

	t.Run("ids beyond 31 bits", func(t *testing.T) {
		s := newStore(t, []MountRow{
			{"dave", math.MaxUint32, 1<<40 + 7, root("files/big")},
			{"erin", 3_000_000_000, 1 << 33, root("")},
		})
		sameMounts(t, MountsFor(t, s, math.MaxUint32), domain.Mount{User: "dave", Root: "files/big"})
		sameMounts(t, MountsFor(t, s, 3_000_000_000), domain.Mount{User: "erin", Root: ""})
	})

	t.Run("user ids and paths in UTF-8", func(t *testing.T) {
		s := newStore(t, []MountRow{{"ünï cödé", 9, 900, root("files/Ünïcödé 📁")}})
		sameMounts(t, MountsFor(t, s, 9), domain.Mount{User: "ünï cödé", Root: "files/Ünïcödé 📁"})
	})

	t.Run("an ended context is an error", func(t *testing.T) {
		s := newStore(t, []MountRow{{"alice", 1, 1, root("")}})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if got, err := s.MountsFor(ctx, 1); !errors.Is(err, context.Canceled) {
			t.Fatalf("MountsFor with a cancelled context = %v, %v; want context.Canceled", got, err)
		}
	})
}

func root(path string) *string { return &path }

// MountsFor is s.MountsFor(storage) under the suite's bound, failing t on
// an error.
func MountsFor(t testing.TB, s ports.MountStore, storage domain.StorageID) []domain.Mount {
	t.Helper()
	mounts, err := s.MountsFor(bounded(t), storage)
	if err != nil {
		t.Fatalf("MountsFor(%d): %v", storage, err)
	}
	return mounts
}

// SortedUsers is a sorted copy of users, for comparing without order.
func SortedUsers(users []domain.UserID) []domain.UserID {
	out := slices.Clone(users)
	slices.Sort(out)
	return out
}

// sameMounts compares without order: MountsFor promises none.
func sameMounts(t *testing.T, got []domain.Mount, want ...domain.Mount) {
	t.Helper()
	byUserAndRoot := func(a, b domain.Mount) int {
		if c := strings.Compare(string(a.User), string(b.User)); c != 0 {
			return c
		}
		return strings.Compare(a.Root, b.Root)
	}
	g, w := slices.Clone(got), slices.Clone(want)
	slices.SortFunc(g, byUserAndRoot)
	slices.SortFunc(w, byUserAndRoot)
	if !slices.Equal(g, w) {
		t.Fatalf("mounts = %v, want %v", g, w)
	}
}

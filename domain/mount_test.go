package domain

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestUsersForPath(t *testing.T) {
	mounts := []Mount{
		{User: "alice", Root: ""},
		{User: "bob", Root: "files/Team"},
		{User: "carol", Root: "files/Team/Design"},
		{User: "bob", Root: "files/Team/Design"}, // second mount of bob
		{User: "dave", Root: "files/a"},
	}
	tests := []struct {
		name string
		path string
		want []UserID
	}{
		{"root of storage reaches only whole-storage mounts", "", []UserID{"alice"}},
		{"deep path reaches every prefix, each user once", "files/Team/Design/logo.png", []UserID{"alice", "bob", "carol"}},
		{"sibling folder", "files/Team/notes.md", []UserID{"alice", "bob"}},
		{"outside every share", "files/other.txt", []UserID{"alice"}},
		{"a root is a folder, not a string prefix", "files/ab", []UserID{"alice"}},
		{"inside the folder", "files/a/b", []UserID{"alice", "dave"}},
		{"a sibling sharing the folder's name as prefix", "files/Team-old/x", []UserID{"alice"}},
		{"exact root path", "files/Team", []UserID{"alice", "bob"}},
		{"case sensitive", "files/team/x", []UserID{"alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UsersForPath(mounts, tt.path); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("UsersForPath(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
	if got := UsersForPath(nil, "x"); got != nil {
		t.Fatalf("no mounts: got %v", got)
	}
}

// Past the linear search, duplicates are still dropped and order kept.
func TestUsersForPathManyUsers(t *testing.T) {
	var mounts []Mount
	var want []UserID
	for i := range 3 * linearUserSearch {
		u := UserID(fmt.Sprintf("user%02d", i))
		mounts = append(mounts, Mount{User: u, Root: "files"}, Mount{User: u, Root: ""}, Mount{User: "other", Root: "elsewhere"})
		if i > 0 {
			mounts = append(mounts, Mount{User: UserID(fmt.Sprintf("user%02d", i-1)), Root: ""})
		}
		want = append(want, u)
	}
	got := UsersForPath(mounts, "files/x")
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

// usersForPathNaive is the rule stated plainly: each user with a mount
// holding path, once, in the order of their first such mount.
func usersForPathNaive(mounts []Mount, path string) []UserID {
	var users []UserID
	for _, m := range mounts {
		if m.Contains(path) && !slices.Contains(users, m.User) {
			users = append(users, m.User)
		}
	}
	return users
}

// Sorted or not, and whether the order breaks before or after the scan
// gives way to a set, the users are those of the plain rule.
func TestAppendUsersForPathMatchesThePlainRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	roots := []string{"", "files", "files/a", "files/ab", "files/a/b", "other"}
	paths := []string{"files/a/b/c.txt", "files/ab", "files", "other/x", "nowhere"}
	for trial := range 2000 {
		mounts := make([]Mount, rng.IntN(4*linearUserSearch))
		for i := range mounts {
			mounts[i] = Mount{User: UserID(fmt.Sprintf("u%02d", rng.IntN(3*linearUserSearch))), Root: roots[rng.IntN(len(roots))]}
		}
		if trial%3 != 0 {
			SortMounts(mounts)
			if !MountsSorted(mounts) {
				t.Fatal("SortMounts left mounts unsorted")
			}
		}
		if trial%3 == 1 && len(mounts) > 1 {
			// sorted up to a point, then not
			k := rng.IntN(len(mounts) - 1)
			mounts[k], mounts[len(mounts)-1] = mounts[len(mounts)-1], mounts[k]
		}
		for _, path := range paths {
			prefix := []UserID{"kept"}
			got := AppendUsersForPath(slices.Clone(prefix), mounts, path)
			want := append(prefix, usersForPathNaive(mounts, path)...)
			if !slices.Equal(got, want) {
				t.Fatalf("mounts %v, path %q:\ngot  %v\nwant %v", mounts, path, got, want)
			}
		}
	}
}

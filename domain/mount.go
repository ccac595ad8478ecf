package domain

import (
	"slices"
	"strings"
)

// Mount says that User has a storage mounted with its root at Root, the
// filecache path of the mount's root folder ("" is the whole storage).
type Mount struct {
	User UserID
	Root string
}

// UsersForPath returns the users with a mount whose root folder holds path
// (Contains), each once, in the order of their first matching mount.
func UsersForPath(mounts []Mount, path string) []UserID {
	return AppendUsersForPath(nil, mounts, path)
}

// AppendUsersForPath appends UsersForPath(mounts, path) to dst. Mounts
// sorted by user (SortMounts) are deduplicated by looking at the user
// appended last, with no set: every instance behind a proxy runs this for
// every update of a storage shared with thousands, most of them for users
// it does not hold, and the set was most of what that cost.
func AppendUsersForPath(dst []UserID, mounts []Mount, path string) []UserID {
	start := len(dst)
	sorted := true
	var seen map[UserID]struct{} // unsorted past a few users: a scan would be quadratic
	for i, m := range mounts {
		if sorted && i > 0 && m.User < mounts[i-1].User {
			sorted = false
			if len(dst)-start > linearUserSearch {
				seen = userSet(dst[start:], len(mounts))
			}
		}
		if !m.Contains(path) {
			continue
		}
		switch {
		case sorted:
			if len(dst) > start && dst[len(dst)-1] == m.User {
				continue
			}
		case seen != nil:
			if _, dup := seen[m.User]; dup {
				continue
			}
			seen[m.User] = struct{}{}
		case containsUser(dst[start:], m.User):
			continue
		case len(dst)-start == linearUserSearch:
			seen = userSet(dst[start:], len(mounts))
			seen[m.User] = struct{}{}
		}
		dst = append(dst, m.User)
	}
	return dst
}

// SortMounts orders mounts by user, then root, for AppendUsersForPath.
func SortMounts(mounts []Mount) {
	slices.SortFunc(mounts, compareMounts)
}

// MountsSorted reports whether mounts are in SortMounts' order.
func MountsSorted(mounts []Mount) bool {
	return slices.IsSortedFunc(mounts, compareMounts)
}

func compareMounts(a, b Mount) int {
	if c := strings.Compare(string(a.User), string(b.User)); c != 0 {
		return c
	}
	return strings.Compare(a.Root, b.Root)
}

func userSet(users []UserID, capacity int) map[UserID]struct{} {
	seen := make(map[UserID]struct{}, capacity)
	for _, u := range users {
		seen[u] = struct{}{}
	}
	return seen
}

// Contains reports whether path is inside the mount's root folder: the root
// is the whole storage (""), the path itself, or a folder above it. Upstream
// compares plain strings, so its root "files/a" also takes "files/ab", whose
// file ids the user may not be allowed to see (PROTOCOL §5).
func (m Mount) Contains(path string) bool {
	if m.Root == "" {
		return true
	}
	rest, ok := strings.CutPrefix(path, m.Root)
	return ok && (rest == "" || rest[0] == '/')
}

// linearUserSearch is how many users UsersForPath dedupes by scanning.
const linearUserSearch = 16

func containsUser(users []UserID, u UserID) bool {
	for _, x := range users {
		if x == u {
			return true
		}
	}
	return false
}

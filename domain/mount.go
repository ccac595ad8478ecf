package domain

import "strings"

// Mount says that User has a storage mounted with its root at Root, the
// filecache path of the mount's root folder ("" is the whole storage).
type Mount struct {
	User UserID
	Root string
}

// UsersForPath returns the users with a mount whose root folder holds path
// (Contains), each once, in the order of their first matching mount.
func UsersForPath(mounts []Mount, path string) []UserID {
	var users []UserID
	var seen map[UserID]struct{} // past a few users, a linear search would make this quadratic
	for _, m := range mounts {
		if !m.Contains(path) {
			continue
		}
		if seen != nil {
			if _, dup := seen[m.User]; dup {
				continue
			}
			seen[m.User] = struct{}{}
		} else if containsUser(users, m.User) {
			continue
		} else if len(users) == linearUserSearch {
			seen = make(map[UserID]struct{}, len(mounts))
			for _, u := range users {
				seen[u] = struct{}{}
			}
			seen[m.User] = struct{}{}
		}
		users = append(users, m.User)
	}
	return users
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

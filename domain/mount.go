package domain

import "strings"

// Mount says that User has a storage mounted with its root at Root, the
// filecache path of the mount's root folder ("" is the whole storage).
type Mount struct {
	User UserID
	Root string
}

// UsersForPath returns the users whose mount root is a string prefix of path,
// each once, in the order of their first matching mount. The prefix test is a
// plain string comparison, as upstream does: root "files/a" also matches
// "files/ab". Over-notifying is harmless; missing a user is not.
func UsersForPath(mounts []Mount, path string) []UserID {
	var users []UserID
	var seen map[UserID]struct{} // past a few users, a linear search would make this quadratic
	for _, m := range mounts {
		if !strings.HasPrefix(path, m.Root) {
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

package world

import (
	"strconv"
	"strings"
)

// The world the servers run against: users user0 … user(N-1) with password
// passK, each with a home storage, and one storage shared with the first
// fan-out users.
const (
	TablePrefix = "oc_"
	// SharedStorage is the storage every fan-out user mounts whole.
	SharedStorage = 1_000_000
	// MaxUsers keeps home storage ids (user+1) below SharedStorage.
	MaxUsers = SharedStorage - 1
	// UnmountedStorage is mounted by nobody: an update of it only makes the
	// server query its (empty) mapping, the first time.
	UnmountedStorage = SharedStorage + 1
)

// GroupStorage is the storage of group g (SeedGroupStorages), mounted by
// the fan-out users of one residue.
func GroupStorage(g int) int { return UnmountedStorage + 1 + g }

// HomeStorage is the storage id of user's home.
func HomeStorage(user int) int { return user + 1 }

// UserOf reads the number out of "userN", or -1.
func UserOf(login string) int {
	digits, ok := strings.CutPrefix(login, "user")
	if !ok || digits == "" || (len(digits) > 1 && digits[0] == '0') {
		return -1
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

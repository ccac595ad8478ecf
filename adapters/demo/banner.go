package demo

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/notifypush/notify_push/domain"
)

// WriteBanner prints what a developer needs to try the demo server listening
// on addr: the console, the WebSocket URL, the logins and the storages of w,
// and a publish command. logins are the ones in force (the flag may replace
// w's).
func WriteBanner(out io.Writer, addr, version string, w World, logins []Login) error {
	creds := make([]string, len(logins))
	for i, l := range logins {
		creds[i] = l.Login + " / " + l.Password
	}
	example := "alice"
	if len(w.Users) > 0 {
		example = string(w.Users[0])
	}
	_, err := fmt.Fprintf(out, `notify_push %s (embedded demo) listening on %s
  console:    http://%s/   (open it in a browser on this machine: log in, fire events, watch the messages)
  WebSocket:  ws://%s/ws   (send the login, then the password, as two text frames)
  demo users: %s
  storages:   %s
  publish:    curl -X POST --data '{"user":%q}' http://%s/embedded/publish/notify_activity
`, version, addr, addr, addr, strings.Join(creds, ", "), w.storageSummary(), example, addr)
	return err
}

// storageSummary describes the storages of w in one line: the home storages
// first ("1, 2, 3 = homes of alice, bob, carol"), then each shared one with
// who mounts it where.
func (w World) storageSummary() string {
	mounts := make(map[domain.StorageID][]Mount)
	var order []domain.StorageID
	for _, m := range w.Mounts {
		if _, seen := mounts[m.Storage]; !seen {
			order = append(order, m.Storage)
		}
		mounts[m.Storage] = append(mounts[m.Storage], m)
	}
	slices.Sort(order)
	var homes, owners, shared []string
	for _, s := range order {
		ms := mounts[s]
		if len(ms) == 1 && ms[0].Root == "" {
			homes = append(homes, strconv.FormatUint(uint64(s), 10))
			owners = append(owners, string(ms[0].User))
			continue
		}
		who := make([]string, len(ms))
		for i, m := range ms {
			who[i] = fmt.Sprintf("%s at %q", m.User, m.Root)
		}
		shared = append(shared, fmt.Sprintf("%d = shared: %s", s, strings.Join(who, ", ")))
	}
	parts := shared
	if len(homes) > 0 {
		parts = append([]string{strings.Join(homes, ", ") + " = homes of " + strings.Join(owners, ", ")}, shared...)
	}
	return strings.Join(parts, "; ")
}

package demo

import (
	"strings"
	"testing"
)

func TestBannerDescribesTheWorld(t *testing.T) {
	var b strings.Builder
	w := Default()
	if err := WriteBanner(&b, "127.0.0.1:7867", "1.4.0", w, w.Logins); err != nil {
		t.Fatal(err)
	}
	want := `notify_push 1.4.0 (embedded demo) listening on 127.0.0.1:7867
  console:    http://127.0.0.1:7867/   (open it in a browser on this machine: log in, fire events, watch the messages)
  WebSocket:  ws://127.0.0.1:7867/ws   (send the login, then the password, as two text frames)
  demo users: alice / alice, alice@example.com / alice, bob / bob, carol / carol
  storages:   1, 2, 3 = homes of alice, bob, carol; 10 = shared: alice at "", bob at "files/Team", carol at "files/Team/Design"
  publish:    curl -X POST --data '{"user":"alice"}' http://127.0.0.1:7867/embedded/publish/notify_activity
`
	if b.String() != want {
		t.Fatalf("banner:\n%s\nwant:\n%s", b.String(), want)
	}
}

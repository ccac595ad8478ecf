package httpapi

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The socket used to be bound at its path with the umask's mode and only
// then chmodded: another local user could connect in between and keep that
// connection. Watched with inotify, its path must never be created in place,
// only appear whole (moved there) with its final mode.
func TestUnixSocketAppearsWithItsFinalMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "push.sock")
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MOVED_TO); err != nil {
		t.Fatal(err)
	}
	old := unix.Umask(0) // the most permissive umask: the race's worst case
	ln, err := listenUnix(path, 0o600)
	unix.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	var buf [4096]byte
	n, err := unix.Read(fd, buf[:])
	if err != nil {
		t.Fatalf("no inotify event: %v", err)
	}
	created, moved := false, false
	for off := 0; off < n; {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
		name := string(buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)])
		if i := indexNUL(name); i >= 0 {
			name = name[:i]
		}
		if name == "push.sock" {
			created = created || ev.Mask&unix.IN_CREATE != 0
			moved = moved || ev.Mask&unix.IN_MOVED_TO != 0
		}
		off += unix.SizeofInotifyEvent + int(ev.Len)
	}
	if created || !moved {
		t.Fatalf("push.sock created in place: %v, moved into place: %v", created, moved)
	}
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket %v, %v; want a socket of mode 0600", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files beside the socket: %v", len(entries)-1, entries)
	}
	ln.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("socket file left behind after close: %v", err)
	}
}

func indexNUL(s string) int {
	for i := range len(s) {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

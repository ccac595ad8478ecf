package release

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/internal/process"
	"github.com/notifypush/notify_push/internal/testenv"
)

// embeddedServer is `notify_push --embedded` running for one test.
type embeddedServer struct {
	Addr        string // host:port of the WebSocket listener
	MetricsAddr string // host:port of /metrics, when asked for
	out         *process.Buffer
}

// startEmbedded runs argv (the binary, or qemu and the binary) with
// --embedded on free loopback ports, env added to a minimal environment, and
// waits until it listens; startup may take a while under emulation. The
// process is stopped with SIGTERM at the end of the test.
func startEmbedded(t *testing.T, env, argv []string, metrics bool, startup time.Duration) *embeddedServer {
	t.Helper()
	port := testenv.FreePort(t)
	s := &embeddedServer{Addr: "127.0.0.1:" + strconv.Itoa(port), out: &process.Buffer{}}
	args := append(append([]string{}, argv[1:]...), "--embedded", "--port", strconv.Itoa(port))
	if metrics {
		mport := testenv.FreePort(t)
		s.MetricsAddr = "127.0.0.1:" + strconv.Itoa(mport)
		args = append(args, "--metrics-port", strconv.Itoa(mport))
	}
	cmd := exec.Command(argv[0], args...)
	cmd.Dir = t.TempDir() // its demo data folder and no stray .env
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "NO_ANSI=1"}, env...)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second): // without clients it exits at once
			t.Logf("%v did not stop within 5 s of SIGTERM; killed", argv)
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(startup)
	for _, addr := range []string{s.Addr, s.MetricsAddr} {
		for addr != "" {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				_ = c.Close()
				break
			}
			select {
			case err := <-exited:
				t.Fatalf("%v exited before listening on %s: %v\n%s", argv, addr, err, s.out)
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("%v does not listen on %s after %v:\n%s", argv, addr, startup, s.out)
			}
		}
	}
	return s
}

// login sends the two login frames and returns the server's answer.
func (s *embeddedServer) login(user, password string, timeout time.Duration) (string, error) {
	d := websocket.Dialer{HandshakeTimeout: timeout}
	c, resp, err := d.Dial("ws://"+s.Addr+"/ws", nil)
	if err != nil {
		return "", fmt.Errorf("dial: %w", err)
	}
	_ = resp.Body.Close()
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(timeout))
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	for _, frame := range []string{user, password} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			return "", fmt.Errorf("send: %w", err)
		}
	}
	_, msg, err := c.ReadMessage()
	if err != nil {
		return "", fmt.Errorf("read the answer: %w", err)
	}
	return string(msg), nil
}

// Package process starts and watches the child processes that tests and the
// load tool share: a private redis-server, and a buffer their output can be
// written to and read from concurrently. It does not import testing, so
// that tools linking it stay free of test machinery.
package process

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// RedisArgs is the command line of a private, non-persistent redis-server
// bin on 127.0.0.1:port working in dir.
func RedisArgs(bin string, port int, dir string) []string {
	return []string{bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no", "--dir", dir}
}

// Redis is one running redis-server.
type Redis struct {
	Addr   string
	cmd    *exec.Cmd
	exited chan struct{}
	out    *Buffer
}

// StartRedis runs the command line args (see RedisArgs) and waits up to
// 10 s until the server accepts on addr. With dieWithParent the kernel kills
// the server when the thread that started it ends, so that a tool killed
// before its cleanup leaves no server behind.
func StartRedis(addr string, args []string, dieWithParent bool) (*Redis, error) {
	p := &Redis{Addr: addr, exited: make(chan struct{}), out: &Buffer{}}
	p.cmd = exec.Command(args[0], args[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if dieWithParent {
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("redis-server exited at start: %s", bytes.TrimSpace([]byte(p.Output())))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Kill()
			return nil, fmt.Errorf("redis-server not ready after 10 s: %w", err)
		}
	}
}

// Output is what the server printed so far.
func (p *Redis) Output() string { return p.out.String() }

// Signal sends sig to the server: SIGSTOP freezes it as a hung host would,
// SIGCONT lets it go on.
func (p *Redis) Signal(sig syscall.Signal) error {
	return p.cmd.Process.Signal(sig)
}

// Kill stops the server at once and waits until it is gone.
func (p *Redis) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL) // fails only when it has exited already
	<-p.exited
}

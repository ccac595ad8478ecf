package harness

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/notifypush/notify_push/internal/process"
)

// ChaosRedis is the soak's private redis-server: one port, one folder, and
// a process the soak kills (SIGKILL, as a crash), starts again on the same
// port, or freezes (SIGSTOP) and thaws (SIGCONT). Every incarnation appends
// to one log file.
type ChaosRedis struct {
	Addr    string
	args    []string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

// NewChaosRedis prepares a redis-server on a free port with its data in
// dir/redis and its log in dir/redis.log; Start runs it.
func NewChaosRedis(dir string) (*ChaosRedis, error) {
	args, port, err := redisCommand(dir)
	if err != nil {
		return nil, err
	}
	return &ChaosRedis{Addr: "127.0.0.1:" + strconv.Itoa(port), args: args, logPath: filepath.Join(dir, "redis.log")}, nil
}

// StartRedis runs a private redis-server on a free port with its data in
// dir/redis, killed with this process; its output stays readable.
func StartRedis(dir string) (*process.Redis, error) {
	args, port, err := redisCommand(dir)
	if err != nil {
		return nil, err
	}
	return process.StartRedis("127.0.0.1:"+strconv.Itoa(port), args, true)
}

// redisCommand is the command line of a redis-server on a free port with
// its data in dir/redis.
func redisCommand(dir string) (args []string, port int, err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, 0, fmt.Errorf("redis-server not found (apt-get install redis-server): %w", err)
	}
	if port, err = FreePort(); err != nil {
		return nil, 0, err
	}
	dataDir := filepath.Join(dir, "redis")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, 0, err
	}
	return process.RedisArgs(bin, port, dataDir), port, nil
}

// Start runs redis-server and waits up to 10 s until it accepts.
func (r *ChaosRedis) Start() error {
	logFile, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(r.args[0], r.args[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(exited) }()
	r.mu.Lock()
	r.cmd, r.exited = cmd, exited
	r.starts++
	r.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", r.Addr, time.Second)
		if err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited at start (its log: %s)", r.logPath)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.Kill()
			return fmt.Errorf("redis-server not accepting on %s after 10 s: %w", r.Addr, err)
		}
	}
}

// Kill ends the server at once, as a crash would, and waits until it is gone.
func (r *ChaosRedis) Kill() {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.cmd = nil
	r.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	}
}

// Signal sends sig (SIGSTOP, SIGCONT) to the running server.
func (r *ChaosRedis) Signal(sig syscall.Signal) error {
	r.mu.Lock()
	cmd := r.cmd
	r.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("redis-server is not running")
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal redis-server: %w", err)
	}
	return nil
}

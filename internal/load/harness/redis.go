package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

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

// StartRedisCluster runs a Redis Cluster of n masters without replicas on
// free ports, each node's data in dir/redis-cluster-<i>, joined with
// redis-cli --cluster create; it returns once every node says
// cluster_state:ok. The nodes are killed with this process.
func StartRedisCluster(ctx context.Context, dir string, n int) ([]*process.Redis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not found (apt-get install redis-server): %w", err)
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, fmt.Errorf("redis-cli not found (apt-get install redis-tools): %w", err)
	}
	var nodes []*process.Redis
	kill := func() {
		for _, node := range nodes {
			node.Kill()
		}
	}
	create := []string{"--cluster", "create"}
	for i := range n {
		port, err := FreePort()
		if err != nil {
			kill()
			return nil, err
		}
		// The bus port would be port+10000 by default, past 65535 for a
		// high ephemeral port.
		busPort, err := FreePort()
		if err != nil {
			kill()
			return nil, err
		}
		dataDir := filepath.Join(dir, "redis-cluster-"+strconv.Itoa(i))
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			kill()
			return nil, err
		}
		args := append(process.RedisArgs(bin, port, dataDir), "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000", "--cluster-port", strconv.Itoa(busPort))
		node, err := process.StartRedis("127.0.0.1:"+strconv.Itoa(port), args, true)
		if err != nil {
			kill()
			return nil, fmt.Errorf("cluster node %d: %w", i, err)
		}
		nodes = append(nodes, node)
		create = append(create, node.Addr)
	}
	create = append(create, "--cluster-replicas", "0", "--cluster-yes")
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(cctx, cli, create...).CombinedOutput(); err != nil {
		kill()
		return nil, fmt.Errorf("redis-cli --cluster create: %w\n%s", err, out)
	}
	for _, node := range nodes {
		if err := awaitClusterOK(cctx, node.Addr); err != nil {
			kill()
			return nil, err
		}
	}
	return nodes, nil
}

// awaitClusterOK polls CLUSTER INFO on addr until the node sees every slot served.
func awaitClusterOK(ctx context.Context, addr string) error {
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	defer c.Close()
	for {
		info, err := c.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster node %s: no cluster_state:ok (%v): %w", addr, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

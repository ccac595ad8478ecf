package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// PingTick is how often the servers look for connections to ping: the
// first ping may come this much after the interval.
func PingTick(ping time.Duration) time.Duration {
	return min(max(ping/10, 10*time.Millisecond), time.Second)
}

// Server is one server under test, notify_push or the reference, running
// as a process of its own.
type Server struct {
	Name  string
	WSURL string
	// DebugURL is the base URL of the listener with /debug/* (and /metrics
	// for notify_push, which Metrics says).
	DebugURL string
	Metrics  bool
	LogPath  string

	cmd    *exec.Cmd
	exited chan struct{}
	http   *http.Client
}

// PID is the server process's id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// FreePort asks the kernel for a loopback port nobody listens on now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func launch(name string, cmd *exec.Cmd, logPath string) (*Server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	if cmd.Stdout == nil {
		cmd.Stdout = logFile
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &Server{Name: name, cmd: cmd, exited: make(chan struct{}), LogPath: logPath,
		http: &http.Client{Timeout: 30 * time.Second}}
	go func() { _ = cmd.Wait(); logFile.Close(); close(s.exited) }()
	return s, nil
}

// StartNotifyPush runs bin against the world with env as the server name
// (its log: dir/name.log) and waits until its /health says ok.
func StartNotifyPush(ctx context.Context, name, bin, dir string, env []string) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	metricsPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir // no stray .env
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "BIND=127.0.0.1", "PORT=" + strconv.Itoa(port),
		"METRICS_PORT=" + strconv.Itoa(metricsPort), "NO_ANSI=1"}, env...)
	s, err := launch(name, cmd, filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	s.WSURL = "ws://127.0.0.1:" + strconv.Itoa(port) + "/ws"
	s.DebugURL = "http://127.0.0.1:" + strconv.Itoa(metricsPort)
	s.Metrics = true
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := s.http.Get(base + "/health")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("%s exited at start:\n%s", name, s.tail(20))
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("%s not healthy after 30 s:\n%s", name, s.tail(20))
		}
	}
}

// RefAddresses is the line the reference server prints once it listens.
type RefAddresses struct {
	WS    string `json:"ws"`
	Debug string `json:"debug"`
}

// StartReference runs "loadgen refserver" with args besides the ping
// interval and reads where it listens.
func StartReference(ctx context.Context, self, dir string, ping time.Duration, args ...string) (*Server, error) {
	cmd := exec.Command(self, append([]string{"refserver", "--ping-interval", ping.String()}, args...)...)
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s, err := launch("reference", cmd, filepath.Join(dir, "refserver.log"))
	if err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case line, ok := <-lines:
		var addrs RefAddresses
		if !ok || json.Unmarshal([]byte(line), &addrs) != nil || addrs.WS == "" {
			s.Stop()
			return nil, fmt.Errorf("reference server did not say where it listens (%q):\n%s", line, s.tail(20))
		}
		s.WSURL = "ws://" + addrs.WS + "/ws"
		s.DebugURL = "http://" + addrs.Debug
		return s, nil
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	case <-time.After(30 * time.Second):
		s.Stop()
		return nil, fmt.Errorf("reference server silent after 30 s:\n%s", s.tail(20))
	}
}

// CloseIdleConnections closes the keep-alive connections of the health,
// debug and metrics requests made so far.
func (s *Server) CloseIdleConnections() { s.http.CloseIdleConnections() }

// GC forces a collection in the server and returns its runtime breakdown after it.
func (s *Server) GC(ctx context.Context) (RuntimeStats, error) {
	return s.runtimeCall(ctx, http.MethodPost, "/debug/gc")
}

// Runtime reads the server's runtime breakdown now.
func (s *Server) Runtime(ctx context.Context) (RuntimeStats, error) {
	return s.runtimeCall(ctx, http.MethodGet, "/debug/runtime")
}

func (s *Server) runtimeCall(ctx context.Context, method, path string) (RuntimeStats, error) {
	var stats RuntimeStats
	req, err := http.NewRequestWithContext(ctx, method, s.DebugURL+path, nil)
	if err != nil {
		return stats, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return stats, fmt.Errorf("%s %s %s: %w", s.Name, method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return stats, fmt.Errorf("%s %s %s: status %d: %s", s.Name, method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		return stats, fmt.Errorf("%s %s %s: %w", s.Name, method, path, err)
	}
	return stats, nil
}

// Scrape reads /metrics into name → value, with labelled samples as
// name{label="value"}.
func (s *Server) Scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.DebugURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s metrics: %w", s.Name, err)
	}
	defer resp.Body.Close()
	return parseMetrics(resp.Body)
}

func parseMetrics(r io.Reader) (map[string]float64, error) {
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			key := name
			if len(m.GetLabel()) > 0 {
				var labels []string
				for _, l := range m.GetLabel() {
					labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
				}
				sort.Strings(labels)
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetUntyped() != nil:
				out[key] = m.GetUntyped().GetValue()
			}
		}
	}
	return out, nil
}

// Stop ends the server with SIGTERM, or SIGKILL after 15 s.
func (s *Server) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused server acts on SIGTERM only once resumed
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// Pause stops the server's process (SIGSTOP) where it stands and waits
// (a second at most) until every thread has stopped: it takes no CPU until
// Resume, while the kernel keeps its sockets, so its clients and its Redis
// subscription are still there afterwards.
func (s *Server) Pause() error {
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("pause %s: %w", s.Name, err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		stopped, err := Stopped(s.PID())
		if err != nil || stopped {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pause %s: its threads still run a second after SIGSTOP", s.Name)
		}
		time.Sleep(time.Millisecond)
	}
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() error {
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		return fmt.Errorf("resume %s: %w", s.Name, err)
	}
	return nil
}

// Alive fails once the server has exited.
func (s *Server) Alive() error {
	select {
	case <-s.exited:
		return fmt.Errorf("%s exited during the run:\n%s", s.Name, s.tail(20))
	default:
		return nil
	}
}

// tail is the last n lines of the server's log.
func (s *Server) tail(n int) string {
	b, err := os.ReadFile(s.LogPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// ListenOptions say where a server listens.
type ListenOptions struct {
	// Bind and Port give the TCP address; Bind "::" falls back to 0.0.0.0
	// where IPv6 is absent.
	Bind string
	Port int
	// SocketPath, when set, listens on a unix socket instead of TCP.
	SocketPath        string
	SocketPermissions fs.FileMode
	// TLSCert and TLSKey, when both set, serve HTTPS/WSS over TCP; a unix
	// socket ignores them with a warning, as upstream does.
	TLSCert string
	TLSKey  string
	// ReadHeaderTimeout bounds how long a client may take to send a
	// request's headers, IdleTimeout how long a kept-alive connection may
	// wait for its next request; zero is the default. Neither touches a
	// WebSocket connection: the server lets go of it at the upgrade.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
}

// Defaults of the HTTP timeouts: a real client sends its headers at once,
// and one idle for long has no request coming.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 30 * time.Second
)

// shutdownGrace bounds how long in-flight plain HTTP requests may finish.
const shutdownGrace = 5 * time.Second

// Server serves one handler on one listener until its context ends.
type Server struct {
	opts    ListenOptions
	handler http.Handler
	log     *slog.Logger

	mu    sync.Mutex
	addr  net.Addr
	ready chan struct{}
}

// NewServer makes a server; it listens only when Run is called.
func NewServer(opts ListenOptions, handler http.Handler, log *slog.Logger) *Server {
	return &Server{opts: opts, handler: handler, log: log, ready: make(chan struct{})}
}

// Ready is closed once the listener is bound.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the bound address, nil before Ready.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Run listens and serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	ln, err := s.listen()
	if err != nil {
		return err
	}
	tlsWanted := s.opts.TLSCert != "" || s.opts.TLSKey != ""
	if tlsWanted && s.opts.SocketPath != "" {
		// As upstream: a proxy speaks plain HTTP to a unix socket.
		s.log.Warn("Serving with TLS over a unix socket is not supported: serving plain HTTP on " + s.opts.SocketPath)
		tlsWanted = false
	}
	if tlsWanted {
		cert, err := tls.LoadX509KeyPair(s.opts.TLSCert, s.opts.TLSKey)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("load TLS certificate %s and key %s: %w", s.opts.TLSCert, s.opts.TLSKey, err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
	close(s.ready)
	s.log.Info("listening", "address", ln.Addr().String())

	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: orDefault(s.opts.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		IdleTimeout:       orDefault(s.opts.IdleTimeout, DefaultIdleTimeout),
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn("http shutdown", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	}
	return nil
}

func (s *Server) listen() (net.Listener, error) {
	if p := s.opts.SocketPath; p != "" {
		return listenUnix(p, s.opts.SocketPermissions)
	}
	port := strconv.Itoa(s.opts.Port)
	bind := s.opts.Bind
	if bind == "" {
		bind = "::"
	}
	// No TCP keep-alive (Go's default probes every 15 s of silence): the
	// WebSocket pings find dead peers and keep proxies and NATs open, idle
	// HTTP connections time out, and connections written to together fall
	// silent together, so their probes came in bursts: 38,000 probes and
	// their ACKs at once on a server holding 19,000 clients.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(bind, port))
	if err != nil && bind == "::" {
		// No IPv6 on this host: the dual-stack default degrades to IPv4.
		ln, err = lc.Listen(context.Background(), "tcp", net.JoinHostPort("0.0.0.0", port))
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", net.JoinHostPort(bind, port), err)
	}
	return ln, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// listenUnix listens on a unix socket that appears at path with its final
// mode: it is bound under a temporary name beside path, given its mode and
// then renamed, so that no other local user can connect while the umask's
// mode applies and keep that connection.
func listenUnix(path string, perm fs.FileMode) (net.Listener, error) {
	if perm == 0 {
		perm = 0o660
	}
	// A socket file left by a crashed process is replaced; a regular file
	// someone pointed us at by mistake, or a live socket, never is.
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("listen on %s: file exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			_ = c.Close()
			return nil, fmt.Errorf("listen on %s: another process is serving on this socket", path)
		}
	}
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%x", filepath.Base(path), suffix))
	if len(tmp) > maxUnixPath {
		// The temporary name must fit where the final one does.
		tmp = filepath.Join(filepath.Dir(path), fmt.Sprintf(".%x", suffix))
	}
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	ul := ln.(*net.UnixListener)
	ul.SetUnlinkOnClose(false) // the name it would unlink is gone after the rename
	if err := os.Chmod(tmp, perm); err != nil {
		_ = ul.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("chmod %s to %o: %w", tmp, perm, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = ul.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("move socket %s to %s: %w", tmp, path, err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		_ = ul.Close()
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	return &unixListener{UnixListener: ul, path: path, file: fi}, nil
}

// maxUnixPath is the longest socket path Linux takes (sun_path less its NUL).
const maxUnixPath = 107

// unixListener removes its socket file when closed, if the file still is
// the socket it created.
type unixListener struct {
	*net.UnixListener
	path string
	file fs.FileInfo
	once sync.Once
}

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() {
		if fi, statErr := os.Lstat(l.path); statErr == nil && os.SameFile(fi, l.file) {
			_ = os.Remove(l.path)
		}
	})
	return err
}

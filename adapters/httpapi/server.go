package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
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
}

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
		ReadHeaderTimeout: 10 * time.Second,
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
	ln, err := net.Listen("tcp", net.JoinHostPort(bind, port))
	if err != nil && bind == "::" {
		// No IPv6 on this host: the dual-stack default degrades to IPv4.
		ln, err = net.Listen("tcp", net.JoinHostPort("0.0.0.0", port))
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", net.JoinHostPort(bind, port), err)
	}
	return ln, nil
}

func listenUnix(path string, perm fs.FileMode) (net.Listener, error) {
	if perm == 0 {
		perm = 0o660
	}
	// A socket file left by a crashed process would make Listen fail; only a
	// socket is removed, never a regular file someone pointed us at by mistake.
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("listen on %s: file exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			_ = c.Close()
			return nil, fmt.Errorf("listen on %s: another process is serving on this socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket %s: %w", path, err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	if err := os.Chmod(path, perm); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("chmod %s to %o: %w", path, perm, err)
	}
	return ln, nil
}

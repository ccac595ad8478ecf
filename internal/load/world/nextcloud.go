package world

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Nextcloud answers the two routes of the notify_push app the server
// calls: the credential check (userN / passN is right) and the version check.
type Nextcloud struct {
	srv       *http.Server
	ln        net.Listener
	onVersion func(ctx context.Context) error
	Logins    atomic.Uint64
	refused   atomic.Uint64
	// WrongDelay holds back the answer to a wrong password (nanoseconds),
	// as Nextcloud's brute-force throttle does on purpose.
	WrongDelay atomic.Int64
	done       chan struct{}
}

// StartNextcloud listens on a free loopback port; onVersion, when set, runs
// at each version check (the real app sets its version in Redis then).
func StartNextcloud(onVersion func(ctx context.Context) error) (*Nextcloud, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake Nextcloud: %w", err)
	}
	f := &Nextcloud{ln: ln, onVersion: onVersion, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /index.php/apps/notify_push/uid", f.uid)
	mux.HandleFunc("GET /index.php/apps/notify_push/test/version", f.version)
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(f.done)
		_ = f.srv.Serve(ln) // ends with ErrServerClosed at Close
	}()
	return f, nil
}

// URL is the base URL to give the server as NEXTCLOUD_URL.
func (f *Nextcloud) URL() string { return "http://" + f.ln.Addr().String() + "/" }

func (f *Nextcloud) uid(w http.ResponseWriter, r *http.Request) {
	login, password, ok := r.BasicAuth()
	if n := UserOf(login); !ok || n < 0 || password != "pass"+strconv.Itoa(n) {
		f.refused.Add(1)
		if d := time.Duration(f.WrongDelay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.Logins.Add(1)
	_, _ = w.Write([]byte(login))
}

func (f *Nextcloud) version(w http.ResponseWriter, r *http.Request) {
	if f.onVersion != nil {
		if err := f.onVersion(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// Close stops the server and waits until it is down.
func (f *Nextcloud) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = f.srv.Shutdown(ctx)
	_ = f.srv.Close()
	<-f.done
}

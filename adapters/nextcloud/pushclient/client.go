// Package pushclient is a client of the push service as a Nextcloud client
// (the desktop client, an app) sees it: it finds the WebSocket endpoint in
// Nextcloud's capabilities and speaks the client side of PROTOCOL §3. The
// self-test command and test_client use it.
package pushclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/adapters/nextcloud"
	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// DefaultTimeout bounds discovery, the handshake and the login.
const DefaultTimeout = 10 * time.Second

// maxBody bounds what is read of an HTTP answer; capabilities are a few KiB.
const maxBody = 1 << 20

// Options say how to reach Nextcloud and the push server.
type Options struct {
	// Insecure accepts any TLS certificate (self-signed, wrong host).
	Insecure bool
	// CAFile is a PEM file of CA certificates trusted besides the system's.
	CAFile string
	// Timeout bounds each request and the WebSocket handshake (default 10 s).
	Timeout time.Duration
	// UserAgent is sent when set.
	UserAgent string
}

// Client discovers and dials the push server.
type Client struct {
	http    *http.Client
	dialer  *websocket.Dialer
	timeout time.Duration
	ua      string
}

var _ ports.PushEndpoint = (*Client)(nil)

// New reads the CA file, if any, and prepares the clients.
func New(opts Options) (*Client, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.Insecure} //nolint:gosec // the user's explicit choice
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", opts.CAFile)
		}
		tlsConfig.RootCAs = pool
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig
	return &Client{
		http: &http.Client{Transport: transport, Timeout: opts.Timeout,
			// A redirect is reported, not followed: it names the URL to use
			// instead, and following it could send the credentials elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		dialer: &websocket.Dialer{
			Proxy:            http.ProxyFromEnvironment,
			TLSClientConfig:  tlsConfig,
			HandshakeTimeout: opts.Timeout,
		},
		timeout: opts.Timeout,
		ua:      opts.UserAgent,
	}, nil
}

// Close releases idle HTTP connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Discover reads the notify_push capability of the Nextcloud at baseURL.
func (c *Client) Discover(ctx context.Context, baseURL, login, password string) (domain.PushCapability, error) {
	base, err := parseBase(baseURL)
	if err != nil {
		return domain.PushCapability{}, err
	}
	u := base.JoinPath("ocs/v2.php/cloud/capabilities")
	u.RawQuery = "format=json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return domain.PushCapability{}, fmt.Errorf("request capabilities: %w", err)
	}
	req.Header.Set("OCS-APIREQUEST", "true")
	req.Header.Set("Accept", "application/json")
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	if login != "" {
		req.SetBasicAuth(login, password)
	}
	shown := u.Redacted()
	resp, err := c.http.Do(req)
	if err != nil {
		return domain.PushCapability{}, nextcloud.ClassifyTransport(shown, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		_ = resp.Body.Close()
	}()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return domain.PushCapability{}, nextcloud.ClassifyTransport(shown, err)
	}
	if pe := statusFailure(shown, resp, body); pe != nil {
		return domain.PushCapability{}, pe
	}
	return parseCapabilities(shown, body)
}

// parseCapabilities finds ocs.data.capabilities.notify_push in an OCS answer.
func parseCapabilities(shown string, body []byte) (domain.PushCapability, error) {
	var answer struct {
		OCS *struct {
			Data struct {
				Capabilities json.RawMessage `json:"capabilities"`
			} `json:"data"`
		} `json:"ocs"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.OCS == nil {
		return domain.PushCapability{}, &domain.ProbeError{Failure: domain.ProbeBadAnswer, URL: shown,
			Err: fmt.Errorf("not an OCS capabilities answer: %q", excerpt(body))}
	}
	var caps map[string]json.RawMessage
	// PHP encodes an empty array as [], not {}.
	if raw := strings.TrimSpace(string(answer.OCS.Data.Capabilities)); raw != "" && raw != "[]" && raw != "null" {
		if err := json.Unmarshal(answer.OCS.Data.Capabilities, &caps); err != nil {
			return domain.PushCapability{}, &domain.ProbeError{Failure: domain.ProbeBadAnswer, URL: shown,
				Err: fmt.Errorf("capabilities are not an object: %w", err)}
		}
	}
	raw, ok := caps["notify_push"]
	if !ok {
		return domain.PushCapability{}, domain.ErrNoPushCapability
	}
	var np struct {
		Type      []string `json:"type"`
		Endpoints struct {
			WebSocket string `json:"websocket"`
			PreAuth   string `json:"pre_auth"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(raw, &np); err != nil {
		return domain.PushCapability{}, &domain.ProbeError{Failure: domain.ProbeBadAnswer, URL: shown,
			Err: fmt.Errorf("notify_push capability does not decode: %w", err)}
	}
	ws, err := url.Parse(np.Endpoints.WebSocket)
	if err != nil || (ws.Scheme != "ws" && ws.Scheme != "wss") || ws.Host == "" {
		return domain.PushCapability{}, &domain.ProbeError{Failure: domain.ProbeBadAnswer, URL: shown,
			Err: fmt.Errorf("notify_push capability has no usable websocket endpoint: %q", np.Endpoints.WebSocket)}
	}
	return domain.PushCapability{Types: np.Type, WebSocket: np.Endpoints.WebSocket, PreAuth: np.Endpoints.PreAuth}, nil
}

// Handshake dials wsURL, logs in when login is set, and closes cleanly.
func (c *Client) Handshake(ctx context.Context, wsURL, login, password string) error {
	conn, err := c.Connect(ctx, wsURL)
	if err != nil {
		return err
	}
	if login != "" {
		if err := conn.Login(ctx, login, password); err != nil {
			conn.Abort()
			return err
		}
	}
	return conn.Close(ctx)
}

// Connect opens a WebSocket to wsURL (ws://, wss://; http:// and https://
// are taken to mean the same).
func (c *Client) Connect(ctx context.Context, wsURL string) (*Conn, error) {
	u, err := url.Parse(strings.TrimSpace(wsURL))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("WebSocket URL %q: want ws://host/path or wss://host/path", wsURL)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("WebSocket URL %q: want ws://host/path or wss://host/path", wsURL)
	}
	header := http.Header{}
	if c.ua != "" {
		header.Set("User-Agent", c.ua)
	}
	shown := u.Redacted()
	ws, resp, err := c.dialer.DialContext(ctx, u.String(), header)
	if err != nil {
		if resp != nil {
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
			if pe := statusFailure(shown, resp, body); pe != nil {
				return nil, pe
			}
			return nil, &domain.ProbeError{Failure: domain.ProbeBadAnswer, URL: shown, Err: err}
		}
		return nil, nextcloud.ClassifyTransport(shown, err)
	}
	return newConn(ws, c.timeout), nil
}

// statusFailure is the failure an HTTP answer other than 2xx/101 means.
func statusFailure(shown string, resp *http.Response, body []byte) *domain.ProbeError {
	switch s := resp.StatusCode; {
	case s/100 == 2 || s == http.StatusSwitchingProtocols:
		return nil
	case s/100 == 3:
		loc := resp.Header.Get("Location")
		if l, err := resp.Location(); err == nil {
			loc = l.Redacted()
		}
		return &domain.ProbeError{Failure: domain.ProbeRedirect, URL: shown, Status: s, StatusLine: resp.Status, Location: loc}
	default:
		return &domain.ProbeError{Failure: domain.ProbeStatus, URL: shown, Status: s, StatusLine: resp.Status, Body: excerpt(body)}
	}
}

func parseBase(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("Nextcloud URL %q: want http(s)://host[/path]", raw)
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// excerpt is the start of a body on one line.
func excerpt(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

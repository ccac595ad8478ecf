package nextcloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Options say where Nextcloud is and how to reach it.
type Options struct {
	// URL is NEXTCLOUD_URL; a trailing "/" is added.
	URL string
	// UserAgent is sent when set; no User-Agent header otherwise.
	UserAgent string
	// CAFile is a PEM file of CA certificates trusted besides the system's.
	CAFile string
	// AllowSelfSigned turns TLS certificate checks off.
	AllowSelfSigned bool
	// Timeout bounds each request (default 10 s).
	Timeout time.Duration
}

// DefaultTimeout bounds one request to Nextcloud.
const DefaultTimeout = 10 * time.Second

// maxBody bounds what is read of an answer: uids and cookies are short.
const maxBody = 64 << 10

// Client calls the notify_push app's routes.
type Client struct {
	base   *url.URL
	http   *http.Client
	ua     string
	caFile string
}

var (
	_ ports.Authenticator  = (*Client)(nil)
	_ ports.NextcloudProbe = (*Client)(nil)
)

// NewClient validates opts and prepares a pooled HTTP client.
func NewClient(opts Options) (*Client, error) {
	raw := strings.TrimSpace(opts.URL)
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	base, err := url.Parse(raw)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("NEXTCLOUD_URL %q must be an http:// or https:// URL with a host", opts.URL)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	tlsCfg, err := tlsConfig(opts)
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64 // login storms reuse connections
	transport.TLSClientConfig = tlsCfg
	return &Client{
		base: base,
		http: &http.Client{Transport: transport, Timeout: opts.Timeout,
			// The app's routes never redirect; following one would send the
			// credentials somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		ua:     opts.UserAgent,
		caFile: opts.CAFile,
	}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

func (c *Client) request(ctx context.Context, path string) (*http.Request, error) {
	u := c.base.JoinPath("index.php/apps/notify_push", path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	} else {
		req.Header["User-Agent"] = []string{""} // Go's default would be sent otherwise
	}
	return req, nil
}

// Authenticate checks login and password at the app's uid route.
func (c *Client) Authenticate(ctx context.Context, login, password string, forwardedFor []string) (domain.UserID, error) {
	req, err := c.request(ctx, "uid")
	if err != nil {
		return "", &domain.NextcloudError{Err: err}
	}
	req.SetBasicAuth(login, password)
	if len(forwardedFor) > 0 {
		req.Header.Set("X-Forwarded-For", strings.Join(forwardedFor, ", "))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", &domain.NextcloudError{Err: explainUnknownCA(stripURL(err), c.caFile)}
	}
	defer drain(resp)
	switch s := resp.StatusCode; {
	case s == http.StatusOK:
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if err != nil {
			return "", &domain.NextcloudError{Err: stripURL(err)}
		}
		uid := strings.TrimSpace(string(body))
		if uid == "" {
			return "", &domain.NextcloudError{Err: errors.New("empty user id in the answer"), Status: s}
		}
		return domain.UserID(uid), nil
	case s == http.StatusUnauthorized:
		return "", domain.ErrInvalidCredentials
	case s >= 400 && s < 500:
		return "", &domain.NextcloudError{Err: errors.New("Client error: " + resp.Status), Status: s}
	case s >= 500:
		return "", &domain.NextcloudError{Err: errors.New("Server error: " + resp.Status), Status: s}
	default:
		return "", &domain.NextcloudError{Err: errors.New("Unexpected status: " + resp.Status), Status: s}
	}
}

// TestCookie fetches the app's test cookie.
func (c *Client) TestCookie(ctx context.Context, token string) (uint32, error) {
	body, err := c.probe(ctx, "test/cookie", token, "")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(body, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("test cookie from Nextcloud is not a number: %q", truncate(body))
	}
	return uint32(n), nil
}

// TestRemote asks which client address Nextcloud resolves for ip.
func (c *Client) TestRemote(ctx context.Context, ip, token string) (string, error) {
	return c.probe(ctx, "test/remote", token, ip)
}

// TestVersion makes the app write its version into notify_push_app_version.
func (c *Client) TestVersion(ctx context.Context) error {
	_, err := c.probe(ctx, "test/version", "", "")
	return err
}

func (c *Client) probe(ctx context.Context, path, token, forwarded string) (string, error) {
	req, err := c.request(ctx, path)
	if err != nil {
		return "", fmt.Errorf("request %s: %w", path, err)
	}
	if token != "" {
		req.Header.Set("token", token)
	}
	if forwarded != "" {
		req.Header.Set("X-Forwarded-For", forwarded)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("request %s: %w", path, explainUnknownCA(stripURL(err), c.caFile))
	}
	defer drain(resp)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, stripURL(err))
	}
	if resp.StatusCode/100 != 2 {
		return "", &domain.ProbeError{Failure: domain.ProbeStatus, URL: path, Status: resp.StatusCode, StatusLine: resp.Status}
	}
	return strings.TrimSpace(string(body)), nil
}

// stripURL keeps the cause of a transport error without the URL, which
// could carry userinfo.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	_ = resp.Body.Close()
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

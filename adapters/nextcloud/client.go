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
	base *url.URL
	// http follows redirects as upstream's reqwest does; noRedirects, for
	// the diagnosis, which explains them, sees each one.
	http        *http.Client
	noRedirects *http.Client
	ua          string
	caFile      string
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
		http: &http.Client{Transport: transport, Timeout: opts.Timeout, CheckRedirect: followLikeReqwest},
		noRedirects: &http.Client{Transport: transport, Timeout: opts.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		ua:     opts.UserAgent,
		caFile: opts.CAFile,
	}, nil
}

// maxRedirects is reqwest's default policy, which upstream keeps: ten
// redirects are followed, the eleventh is an error.
const maxRedirects = 10

// followLikeReqwest follows redirects as upstream's HTTP client does (a
// NEXTCLOUD_URL of http:// that Nextcloud's web server sends to https://,
// say), and drops the credentials once a hop has changed host or port, as
// reqwest does: an http:// to https:// redirect of a credential check thus
// reaches Nextcloud without them, upstream's behaviour too.
func followLikeReqwest(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	hops := append(via[:len(via):len(via)], req)
	for i := 1; i < len(hops); i++ {
		if crossHost(hops[i-1].URL, hops[i].URL) {
			for _, h := range []string{"Authorization", "Cookie", "Cookie2", "Proxy-Authorization", "Www-Authenticate"} {
				req.Header.Del(h)
			}
			break
		}
	}
	return nil
}

// crossHost is reqwest's test: another host name, or another port once
// the scheme's default is filled in.
func crossHost(a, b *url.URL) bool {
	return !strings.EqualFold(a.Hostname(), b.Hostname()) || portOf(a) != portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
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

// TestCookie fetches the app's test cookie. Its errors are upstream's
// texts, which the app prints to the admin: a 4xx page of Nextcloud's
// "trusted domain" error names the host to add to trusted_domains.
func (c *Client) TestCookie(ctx context.Context, token string) (uint32, error) {
	req, err := c.request(ctx, "test/cookie")
	if err != nil {
		return 0, fmt.Errorf("request test/cookie: %w", err)
	}
	req.Header.Set("token", token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("request test/cookie: %w", explainUnknownCA(stripURL(err), c.caFile))
	}
	defer drain(resp)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, fmt.Errorf("read test/cookie: %w", stripURL(err))
	}
	if resp.StatusCode >= 400 && resp.StatusCode < 500 {
		if strings.Contains(string(body), "admin-trusted-domains") {
			return 0, fmt.Errorf("%s is not configured as a trusted domain for the nextcloud server", c.base.Hostname())
		}
		return 0, errors.New("Client error: " + resp.Status)
	}
	// Any other status is read as upstream reads it: the body must be the cookie.
	text := strings.TrimSpace(string(body))
	n, err := strconv.ParseUint(text, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("Invalid response when getting test cookie (%s): %q is not a number", resp.Status, truncate(text))
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

package nextcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

var _ ports.NextcloudInspector = (*Client)(nil)

// Status reads status.php under NEXTCLOUD_URL.
func (c *Client) Status(ctx context.Context) (domain.NextcloudStatus, error) {
	u := c.base.JoinPath("status.php").String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return domain.NextcloudStatus{}, fmt.Errorf("request %s: %w", u, err)
	}
	c.setUserAgent(req)
	body, err := c.inspect(req)
	if err != nil {
		return domain.NextcloudStatus{}, err
	}
	var st struct {
		Installed      bool   `json:"installed"`
		Maintenance    bool   `json:"maintenance"`
		NeedsDBUpgrade bool   `json:"needsDbUpgrade"`
		VersionString  string `json:"versionstring"`
		ProductName    string `json:"productname"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		return domain.NextcloudStatus{}, &domain.ProbeError{Failure: domain.ProbeBadAnswer, URL: u,
			Err: fmt.Errorf("not Nextcloud's status.php (%w): %q", err, truncate(body))}
	}
	return domain.NextcloudStatus{Installed: st.Installed, Maintenance: st.Maintenance, NeedsUpgrade: st.NeedsDBUpgrade,
		Version: st.VersionString, ProductName: st.ProductName}, nil
}

// AppRoute calls one of the app's routes under NEXTCLOUD_URL.
func (c *Client) AppRoute(ctx context.Context, route, token, forwardedFor string) (string, error) {
	req, err := c.request(ctx, route)
	if err != nil {
		return "", fmt.Errorf("request %s: %w", route, err)
	}
	if token != "" {
		req.Header.Set("token", token)
	}
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	return c.inspect(req)
}

func (c *Client) setUserAgent(req *http.Request) {
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	} else {
		req.Header["User-Agent"] = []string{""}
	}
}

// inspect sends req and returns the trimmed body of a 2xx answer; anything
// else is a *domain.ProbeError.
func (c *Client) inspect(req *http.Request) (string, error) {
	u := req.URL.Redacted()
	resp, err := c.noRedirects.Do(req)
	if err != nil {
		return "", ClassifyTransport(u, err)
	}
	defer drain(resp)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", ClassifyTransport(u, err)
	}
	switch {
	case resp.StatusCode/100 == 2:
		return strings.TrimSpace(string(body)), nil
	case resp.StatusCode/100 == 3:
		loc := resp.Header.Get("Location")
		if l, err := resp.Location(); err == nil {
			loc = l.Redacted()
		}
		return "", &domain.ProbeError{Failure: domain.ProbeRedirect, URL: u, Status: resp.StatusCode, StatusLine: resp.Status, Location: loc}
	default:
		return "", &domain.ProbeError{Failure: domain.ProbeStatus, URL: u, Status: resp.StatusCode, StatusLine: resp.Status,
			Body: oneLine(string(body))}
	}
}

// oneLine keeps the start of an error page readable on one line.
func oneLine(s string) string {
	return truncate(strings.Join(strings.Fields(s), " "))
}

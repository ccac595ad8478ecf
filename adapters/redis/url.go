package redis

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// endpoint is one parsed URL; TLS settings are applied later, once.
type endpoint struct {
	opts     *goredis.Options
	tls      bool
	insecure bool   // rediss://...#insecure (redis-rs) or ?skip_verify=true (go-redis)
	masked   string // the URL without secrets, for messages
}

const schemes = "redis://, rediss://, redis+unix:// or unix://"

// parseURL accepts what redis-rs (upstream) and go-redis accept: credentials
// in the user info or as user/username and pass/password parameters, the
// database as the path (TCP) or a db parameter, protocol=resp2|resp3|2|3,
// redis-rs's #insecure fragment and go-redis's other parameters
// (dial_timeout, pool_size, ...).
func parseURL(raw string) (endpoint, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return endpoint{}, errors.New("empty Redis URL")
	}
	masked := maskURL(raw)
	bad := func(format string, args ...any) (endpoint, error) {
		return endpoint{}, fmt.Errorf("redis URL %s: %s", masked, fmt.Sprintf(format, args...))
	}
	if lower := strings.ToLower(raw); !strings.Contains(raw, "://") &&
		!strings.HasPrefix(lower, "unix:/") && !strings.HasPrefix(lower, "redis+unix:/") {
		// host:port parses as a URL with an odd scheme; say what is missing.
		return bad("no scheme: want %s", schemes)
	}
	u, err := url.Parse(raw)
	if err != nil {
		if masked != raw {
			// url.Parse's messages quote parts of the URL, which may be
			// parts of the password.
			return bad("not a valid URL (special characters in a password must be percent-encoded)")
		}
		// *url.Error repeats the whole URL: keep its cause only.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return bad("%v", err)
	}
	if u.Opaque != "" {
		return bad("want %s", schemes)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		if masked != raw {
			return bad("invalid query (special characters in a password must be percent-encoded)")
		}
		return bad("invalid query: %v", err)
	}
	norm := &url.URL{}
	ep := endpoint{masked: masked}
	var pathDB string
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "redis", "rediss":
		norm.Scheme, norm.Host = scheme, u.Host
		ep.tls = scheme == "rediss"
		pathDB = strings.Trim(u.Path, "/")
		if strings.Contains(pathDB, "/") {
			return bad("the path must be a database number")
		}
	case "redis+unix", "unix":
		if u.Host != "" && u.Host != "localhost" {
			return bad("a unix socket URL has no host: write %s:///path/to/socket", scheme)
		}
		if strings.TrimSpace(u.Path) == "" {
			return bad("no socket path")
		}
		norm.Scheme, norm.Path = "unix", u.Path
	case "":
		return bad("no scheme: want %s", schemes)
	default:
		return bad("unsupported scheme %q: want %s", u.Scheme, schemes)
	}

	user, pass, err := credentials(u, q)
	if err != nil {
		return bad("%v", err)
	}
	db, err := database(pathDB, q)
	if err != nil {
		return bad("%v", err)
	}
	switch p := strings.ToLower(q.Get("protocol")); p {
	case "resp2", "resp3":
		q.Set("protocol", p[4:])
	}
	switch u.Fragment {
	case "":
	case "insecure":
		ep.insecure = true
	default:
		return bad("unknown fragment #%s", u.Fragment)
	}

	norm.RawQuery = q.Encode()
	// The normalised URL holds no credentials, so go-redis's errors cannot
	// show them.
	opts, err := goredis.ParseURL(norm.String())
	if err != nil {
		return bad("%s", strings.TrimPrefix(err.Error(), "redis: "))
	}
	opts.Username, opts.Password, opts.DB = user, pass, db
	if opts.TLSConfig != nil {
		ep.insecure = ep.insecure || opts.TLSConfig.InsecureSkipVerify
		opts.TLSConfig = nil
	}
	if ep.insecure && !ep.tls {
		return bad("#insecure needs rediss://")
	}
	ep.opts = opts
	return ep, nil
}

// credentials takes the user name and password from the user info and from
// the user/username and pass/password parameters, which it removes from q.
func credentials(u *url.URL, q url.Values) (user, pass string, err error) {
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	for _, k := range []string{"user", "username"} {
		if v, ok := take(q, k); ok && agree(&user, v) != nil {
			return "", "", errors.New("user name given twice")
		}
	}
	for _, k := range []string{"pass", "password"} {
		if v, ok := take(q, k); ok && agree(&pass, v) != nil {
			return "", "", errors.New("password given twice")
		}
	}
	return user, pass, nil
}

// database reads the database index from the path or the db parameter.
func database(pathDB string, q url.Values) (int, error) {
	qDB, _ := take(q, "db")
	s := pathDB
	if err := agree(&s, qDB); err != nil {
		return 0, errors.New("database given twice")
	}
	if s == "" {
		return 0, nil
	}
	db, err := strconv.Atoi(s)
	if err != nil || db < 0 {
		return 0, fmt.Errorf("invalid database number %q", truncate(s))
	}
	return db, nil
}

func take(q url.Values, key string) (string, bool) {
	if !q.Has(key) {
		return "", false
	}
	v := q.Get(key)
	q.Del(key)
	return v, true
}

var secretParam = regexp.MustCompile(`(?i)([?&](?:pass|password)=)[^&#]*`)

// maskURL hides the password of a URL, even one url.Parse rejects: a password
// with a '/' or '@' in it must not leak through an error either.
func maskURL(raw string) string {
	s := raw
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	if at := strings.LastIndex(s, "@"); at >= start {
		if user, _, hasPass := strings.Cut(s[start:at], ":"); hasPass {
			s = s[:start] + user + ":***" + s[at:]
		}
	}
	return secretParam.ReplaceAllString(s, "${1}***")
}

// truncate keeps messages short when a setting is absurdly long.
func truncate(s string) string {
	const max = 32
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/notifypush/notify_push/domain"
)

// The checks of the self-test command (Diagnosis), in the order Run makes
// them; each names the setting to fix when it fails.
const (
	checkDatabase     = "database"
	checkRedis        = "redis"
	checkNextcloud    = "nextcloud"
	checkTestToken    = "test token"
	checkSharedRedis  = "shared redis"
	checkTrustedProxy = "trusted proxy"
	checkVersion      = "version"
	checkCapability   = "push endpoint"
	checkReverseProxy = "reverse proxy"
)

func (r *diagnosisRun) checkDatabase(ctx context.Context) Finding {
	ctx, cancel := r.timeout(ctx)
	defer cancel()
	mounts, err := r.mounts.MountsFor(ctx, 1)
	if err != nil {
		text := strings.ToLower(err.Error())
		// Drivers word a missing table differently; all say one of these.
		if strings.Contains(text, "no such table") || strings.Contains(text, "doesn't exist") || strings.Contains(text, "does not exist") {
			return fail(checkDatabase, "the storage-mapping query fails: "+err.Error(),
				"the database answers, but Nextcloud's mounts and filecache tables are not there under the configured prefix: "+
					"this server would not know who is concerned by a file change",
				"point DATABASE_URL at Nextcloud's own database and set DATABASE_PREFIX to config.php's 'dbtableprefix' (default oc_), "+
					"or start with config.php so both are read from it")
		}
		return fail(checkDatabase, "no answer from the database "+r.opts.DatabaseShown+": "+err.Error(),
			"this server cannot read which users have a storage mounted, so file changes reach nobody",
			"check DATABASE_URL (or dbhost, dbport, dbname, dbuser, dbpassword in config.php), that the database server runs "+
				"and that it accepts connections from this machine with these credentials")
	}
	noun := "mounts"
	if len(mounts) == 1 {
		noun = "mount"
	}
	return pass(checkDatabase, fmt.Sprintf("the storage-mapping query works on %s (storage 1 has %d %s)", r.opts.DatabaseShown, len(mounts), noun))
}

// checkRedis writes this run's test token and reads it back; it returns the
// token that was there before, to be restored at the end.
func (r *diagnosisRun) checkRedis(ctx context.Context) (Finding, string, bool) {
	ctx, cancel := r.timeout(ctx)
	defer cancel()
	failure := func(err error) Finding {
		return fail(checkRedis, "no answer from Redis "+r.opts.RedisShown+": "+err.Error(),
			"this server receives every event from Nextcloud through Redis: without it no client is ever notified",
			"check REDIS_URL (or 'redis' / 'notify_push_redis' in config.php): host, port, password, TLS; and that redis-server runs "+
				"and accepts connections from this machine")
	}
	prev, had, err := r.kv.Get(ctx, KeyTestToken)
	if err != nil {
		return failure(err), "", false
	}
	if err := r.kv.Set(ctx, KeyTestToken, r.token); err != nil {
		return failure(err), "", false
	}
	got, ok, err := r.kv.Get(ctx, KeyTestToken)
	if err != nil {
		return failure(err), prev, had
	}
	r.redisOK = true
	if !ok || got != r.token {
		r.redisOK = false
		return fail(checkRedis, "Redis "+r.opts.RedisShown+" does not keep what is written to it",
			"a value written to Redis read back differently: another client rewrote it, or the server is a read-only replica",
			"point REDIS_URL at the Redis primary that Nextcloud writes to"), prev, had
	}
	return pass(checkRedis, "Redis "+r.opts.RedisShown+" answers"), prev, had
}

func (r *diagnosisRun) checkNextcloud(ctx context.Context) Finding {
	ctx, cancel := r.timeout(ctx)
	defer cancel()
	where := r.opts.NextcloudURL
	if r.opts.NextcloudURLSource != "" {
		where += " (from " + r.opts.NextcloudURLSource + ")"
	}
	st, err := r.nc.Status(ctx)
	if err != nil {
		pe, ok := domain.ProbeFailureOf(err)
		if ok && pe.Failure == domain.ProbeRedirect {
			base := strings.TrimSuffix(pe.Location, "status.php")
			return fail(checkNextcloud, "Nextcloud at "+where+" redirects to "+pe.Location,
				"this server calls Nextcloud at NEXTCLOUD_URL and does not follow redirects (they could carry the users' passwords elsewhere): "+
					"every login check would fail",
				"set NEXTCLOUD_URL to "+base+" (or make 'overwrite.cli.url' in config.php that URL)")
		}
		if ok && pe.Failure == domain.ProbeStatus && pe.Status == 404 {
			return fail(checkNextcloud, "no Nextcloud at "+where+": status.php answered "+pe.StatusLine,
				"NEXTCLOUD_URL does not point at Nextcloud's base URL",
				"set NEXTCLOUD_URL to the address of Nextcloud itself, including its folder if it has one (https://example.com/nextcloud)")
		}
		meaning, fix := explain(err, "NEXTCLOUD_URL")
		return fail(checkNextcloud, "Nextcloud at "+where+" does not answer: "+err.Error(),
			"this server checks every login and the self-test against Nextcloud: "+meaning, fix)
	}
	switch {
	case !st.Installed:
		return fail(checkNextcloud, "Nextcloud at "+where+" is not installed yet",
			"status.php says the installation has not been completed", "finish Nextcloud's installation first")
	case st.Maintenance:
		return fail(checkNextcloud, "Nextcloud at "+where+" is in maintenance mode",
			"Nextcloud refuses logins and app requests during maintenance", "finish the maintenance: occ maintenance:mode --off")
	case st.NeedsUpgrade:
		return fail(checkNextcloud, "Nextcloud at "+where+" waits for its upgrade",
			"Nextcloud serves nothing until its database is upgraded", "run occ upgrade")
	}
	r.nextcloudOK = true
	name := st.ProductName
	if name == "" {
		name = "Nextcloud"
	}
	var notes []string
	if !sameURL(r.opts.PublicURL, r.opts.NextcloudURL) {
		notes = append(notes, "clients use "+r.opts.PublicURL+" but this server reaches Nextcloud at "+where+
			": fine when both are the same Nextcloud (an internal address avoids a round trip through the proxy); "+
			"its host name must then be in 'trusted_domains'")
	}
	return pass(checkNextcloud, fmt.Sprintf("%s %s answers at %s", name, st.Version, where), notes...)
}

func (r *diagnosisRun) checkTestToken(ctx context.Context) Finding {
	switch {
	case !r.nextcloudOK:
		return skip(checkTestToken, "skipped: Nextcloud does not answer")
	case !r.redisOK:
		return skip(checkTestToken, "skipped: Redis does not answer")
	}
	ctx, cancel := r.timeout(ctx)
	defer cancel()
	if _, err := r.nc.AppRoute(ctx, "test/cookie", r.token, ""); err != nil {
		if pe, ok := domain.ProbeFailureOf(err); ok && pe.Failure == domain.ProbeStatus && pe.Status == 403 {
			r.tokenRefused = true
			return fail(checkTestToken, "the app refused the test token this server stored in Redis (test/cookie: 403)",
				"the app compares the token with 'test-token' in its own Redis: Nextcloud uses another Redis server, "+
					"or another database of it (dbindex), than this server",
				redisFix)
		}
		meaning, fix := explainApp(err)
		return fail(checkTestToken, "the app's test route does not answer: "+err.Error(), meaning, fix)
	}
	return pass(checkTestToken, "the app's test routes answer and accept the token this server stored in Redis")
}

const redisFix = "make REDIS_URL name the Redis of config.php's 'redis' (or 'notify_push_redis') exactly: same host, port, " +
	"password and database index, e.g. redis://host:6379/<dbindex>; or start this server with config.php so it reads them itself"

func (r *diagnosisRun) checkSharedRedis(ctx context.Context) Finding {
	switch {
	case !r.nextcloudOK:
		return skip(checkSharedRedis, "skipped: Nextcloud does not answer")
	case !r.redisOK:
		return skip(checkSharedRedis, "skipped: Redis does not answer")
	}
	ctx, cancel := r.timeout(ctx)
	defer cancel()
	prev, had, err := r.kv.Get(ctx, KeyAppVersion)
	if err == nil {
		// A marker, so that a value left by an earlier run proves nothing.
		err = r.kv.Set(ctx, KeyAppVersion, "self-test-"+r.token)
	}
	if err != nil {
		return fail(checkSharedRedis, "Redis stopped answering: "+err.Error(), "", "check Redis, then run the self-test again")
	}
	if _, err := r.nc.AppRoute(ctx, "test/version", "", ""); err != nil {
		r.restore(ctx, KeyAppVersion, prev, had)
		meaning, fix := explainApp(err)
		return fail(checkSharedRedis, "the app's test/version route does not answer: "+err.Error(), meaning, fix)
	}
	got, ok, err := r.kv.Get(ctx, KeyAppVersion)
	switch {
	case err != nil:
		r.restore(ctx, KeyAppVersion, prev, had) // best effort: the marker must not stay
		return fail(checkSharedRedis, "Redis stopped answering: "+err.Error(), "", "check Redis, then run the self-test again")
	case !ok || got == "self-test-"+r.token || got == "":
		r.restore(ctx, KeyAppVersion, prev, had)
		return fail(checkSharedRedis, "Nextcloud wrote its app version into a Redis, but not into "+r.opts.RedisShown,
			"Nextcloud publishes its events into its own Redis; this server listens on another one (or another database index), "+
				"so no event ever arrives",
			redisFix)
	}
	r.shared, r.appVersion = true, got
	return pass(checkSharedRedis, "Nextcloud writes into the same Redis ("+r.opts.RedisShown+")")
}

// restore puts back a key's earlier value ("" when it had none).
func (r *diagnosisRun) restore(ctx context.Context, key, prev string, had bool) {
	if !had {
		prev = ""
	}
	_ = r.kv.Set(ctx, key, prev)
}

func (r *diagnosisRun) checkTrustedProxy(ctx context.Context) Finding {
	switch {
	case !r.nextcloudOK:
		return skip(checkTrustedProxy, "skipped: Nextcloud does not answer")
	case r.tokenRefused:
		return skip(checkTrustedProxy, "skipped: the app refuses this server's test token")
	}
	ctx, cancel := r.timeout(ctx)
	defer cancel()
	if r.shared {
		_ = r.kv.Set(ctx, KeyRemote, "")
		_ = r.kv.Set(ctx, KeyForwardedHeader, "")
	}
	resolved, err := r.nc.AppRoute(ctx, "test/remote", r.token, ForwardedTestIP)
	if err != nil {
		meaning, fix := explainApp(err)
		return fail(checkTrustedProxy, "the app's test/remote route does not answer: "+err.Error(), meaning, fix)
	}
	if resolved == ForwardedTestIP {
		return pass(checkTrustedProxy, "Nextcloud trusts this server as a proxy (it believed X-Forwarded-For: "+ForwardedTestIP+")")
	}
	f := fail(checkTrustedProxy,
		fmt.Sprintf("Nextcloud resolved the test request to %q, not to the forwarded %s", resolved, ForwardedTestIP),
		"Nextcloud does not trust this server as a proxy: it would see every client's login as coming from this server, "+
			"and its brute-force protection would slow down everybody at once",
		fmt.Sprintf("add %s to 'trusted_proxies' in config.php (occ config:system:set trusted_proxies 0 --value=%s, "+
			"with the next free index if you have entries already) and keep 'HTTP_X_FORWARDED_FOR' in 'forwarded_for_headers'",
			resolved, resolved))
	if r.shared {
		remote, _, _ := r.kv.Get(ctx, KeyRemote)
		header, _, _ := r.kv.Get(ctx, KeyForwardedHeader)
		if remote != "" && header == "" {
			f.Notes = append(f.Notes, "Nextcloud received no X-Forwarded-For header from "+remote+
				": a proxy between this server and Nextcloud drops it; make it pass the header on, "+
				"or set NEXTCLOUD_URL to Nextcloud's web server itself")
		} else if remote != "" {
			f.Notes = append(f.Notes, "Nextcloud saw the request come from "+remote+" with X-Forwarded-For: "+header)
		}
	}
	return f
}

func (r *diagnosisRun) checkVersion() Finding {
	if !r.shared {
		return skip(checkVersion, "skipped: needs the shared Redis, where the app writes its version")
	}
	report := domain.ReportVersion(r.appVersion, r.opts.FollowAppVersion)
	switch {
	case report.Following:
		return pass(checkVersion, fmt.Sprintf("the app is version %s, of a series this server implements (%s): it reports %s",
			r.appVersion, domain.SupportedAppSeries, report.Version))
	case domain.AppAccepts(r.appVersion, report.Version):
		return pass(checkVersion, fmt.Sprintf("the app (%s) and this server (%s) are of the same series", r.appVersion, report.Version))
	}
	meaning := "the app's self-test (occ notify_push:setup) accepts only a push server of its own series (the first two numbers), " +
		"and the app's events may differ between series"
	if s, ok := domain.ParseSeries(r.appVersion); ok && !domain.SupportedAppSeries.Contains(s) {
		return fail(checkVersion, fmt.Sprintf("the app is version %s, outside the app series this server implements (%s)",
			r.appVersion, domain.SupportedAppSeries), meaning,
			fmt.Sprintf("use a push server made for the app's series, or a Client Push app of series %s", domain.SupportedAppSeries))
	}
	return fail(checkVersion, fmt.Sprintf("the app is version %s, this server reports %s: %s", r.appVersion, report.Version, report.Reason),
		meaning,
		fmt.Sprintf("let the server follow the app's version (NOTIFY_PUSH_FOLLOW_APP_VERSION=true, the default), "+
			"or use the Client Push app %s.x with this server", ownSeries()))
}

func (r *diagnosisRun) checkCapability(ctx context.Context) Finding {
	if r.opts.WebSocketURL != "" {
		r.wsURL = r.opts.WebSocketURL
		return skip(checkCapability, "skipped: --websocket "+r.opts.WebSocketURL+" given")
	}
	ctx, cancel := r.timeout(ctx)
	defer cancel()
	capability, err := r.push.Discover(ctx, r.opts.PublicURL, r.opts.Login, r.opts.Password)
	switch {
	case errors.Is(err, domain.ErrNoPushCapability) && r.opts.Login == "":
		return skip(checkCapability, "skipped: Nextcloud announces the push server to logged-in users only; "+
			"give --user and --password (an app password), or --websocket <url>, to check the endpoint and the reverse proxy")
	case errors.Is(err, domain.ErrNoPushCapability):
		return fail(checkCapability, "Nextcloud at "+r.opts.PublicURL+" does not announce a push server",
			"without the notify_push capability clients do not know the push server exists: the Client Push app is not enabled, "+
				"or `occ notify_push:setup` never stored the push server's URL",
			"occ app:enable notify_push, then occ notify_push:setup "+strings.TrimSuffix(r.opts.PublicURL, "/")+"/push")
	case err != nil:
		if pe, ok := domain.ProbeFailureOf(err); ok && pe.Failure == domain.ProbeStatus && pe.Status == 401 {
			return fail(checkCapability, "Nextcloud refused the login of "+r.opts.Login+" (401)",
				"the username or the password is wrong, or the account needs an app password (two-factor authentication)",
				"check --user; create an app password in Nextcloud (Settings → Security → Devices & sessions) and pass it as --password")
		}
		meaning, fix := explain(err, "the Nextcloud URL")
		return fail(checkCapability, "the capabilities of "+r.opts.PublicURL+" cannot be read: "+err.Error(), meaning, fix)
	}
	r.wsURL = capability.WebSocket
	var notes []string
	if u, err := url.Parse(capability.WebSocket); err == nil {
		if strings.HasPrefix(r.opts.PublicURL, "https://") && u.Scheme == "ws" {
			notes = append(notes, "the endpoint is ws:// while Nextcloud is https://: browsers refuse it on an https page; "+
				"run occ notify_push:setup with the https:// URL")
		}
		if isLoopbackHost(u.Hostname()) {
			notes = append(notes, "the endpoint is on "+u.Hostname()+": clients on other machines cannot reach it")
		}
	}
	return pass(checkCapability, "Nextcloud announces the push server at "+capability.WebSocket, notes...)
}

func (r *diagnosisRun) checkReverseProxy(ctx context.Context) Finding {
	if r.wsURL == "" {
		return skip(checkReverseProxy, "skipped: no WebSocket endpoint known")
	}
	ctx, cancel := r.timeout(ctx)
	defer cancel()
	err := r.push.Handshake(ctx, r.wsURL, r.opts.Login, r.opts.Password)
	if err == nil {
		summary := "a WebSocket opens through " + r.wsURL
		if r.opts.Login != "" {
			summary += " and " + r.opts.Login + " logs in"
		}
		return pass(checkReverseProxy, summary)
	}
	const seeProxy = "see deployment.md#reverse-proxy"
	var refusal *domain.PushRefusal
	var closed *domain.PushClosed
	pe, isProbe := domain.ProbeFailureOf(err)
	switch {
	case errors.As(err, &refusal) && refusal.Text == domain.ErrInvalidCredentials.Error():
		return fail(checkReverseProxy, "the WebSocket opens, but the push server refused the login of "+r.opts.Login,
			"the running push server asks Nextcloud at its NEXTCLOUD_URL, which refused these credentials",
			"check the password (an app password); if Nextcloud accepted it above, the running server's NEXTCLOUD_URL points at another Nextcloud")
	case errors.As(err, &refusal) && strings.HasPrefix(refusal.Text, "Error while sending authentication request"):
		return fail(checkReverseProxy, "the WebSocket opens, but the push server cannot check logins: "+refusal.Text,
			"the running push server cannot reach Nextcloud at its NEXTCLOUD_URL",
			"fix the running server's NEXTCLOUD_URL (the checks above show what this configuration reaches), then restart it")
	case errors.As(err, &refusal):
		return fail(checkReverseProxy, "the WebSocket opens, but the push server answered: err: "+refusal.Text,
			"the push server refused the connection", "see the push server's log")
	case errors.As(err, &closed):
		return fail(checkReverseProxy, "the WebSocket opened but was closed during the login: "+closed.Error(),
			"the push server or the proxy ended the connection early (a proxy read timeout shorter than a few seconds?)",
			"check the push server's log and the proxy's timeouts; "+seeProxy)
	case isProbe && pe.Failure == domain.ProbeStatus && (pe.Status == 400 || pe.Status == 426) &&
		strings.Contains(strings.ToLower(pe.Body), "upgrade"):
		return fail(checkReverseProxy, "the WebSocket handshake through "+r.wsURL+" was refused: "+pe.StatusLine,
			"the request reached the push server without its Upgrade/Connection headers: the reverse proxy does not forward them, "+
				"so no client can open a WebSocket",
			"forward them (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"Upgrade\"; "+
				"Apache: ProxyPass /push/ws ws://127.0.0.1:7867/ws), "+seeProxy)
	case isProbe && pe.Failure == domain.ProbeStatus && pe.Status == 404:
		return fail(checkReverseProxy, "nothing serves "+r.wsURL+" (404)",
			"the reverse proxy does not send this path to the push server, or sends it with a path the push server does not serve",
			"route /push/ to the push server (http://127.0.0.1:7867/), keeping or stripping the /push prefix (both work), "+seeProxy)
	case isProbe && pe.Failure == domain.ProbeStatus && (pe.Status == 502 || pe.Status == 503 || pe.Status == 504):
		return fail(checkReverseProxy, "the reverse proxy answered "+pe.StatusLine+" for "+r.wsURL,
			"the proxy cannot reach the push server",
			"start notify_push (systemctl status notify_push) and check the proxy's upstream address and port, "+seeProxy)
	case isProbe && pe.Failure == domain.ProbeStatus:
		return fail(checkReverseProxy, "the WebSocket handshake through "+r.wsURL+" was refused: "+pe.Error(),
			"something other than the push server answers this URL, or the proxy does not forward WebSocket handshakes",
			"make the proxy send /push/ to the push server with the Upgrade/Connection headers, "+seeProxy)
	case isProbe && pe.Failure == domain.ProbeRedirect:
		return fail(checkReverseProxy, r.wsURL+" redirects to "+pe.Location,
			"clients do not follow redirects when they open a WebSocket",
			"announce the final URL: occ notify_push:setup with the https:// address the redirect points to")
	case isProbe && pe.Failure == domain.ProbeBadAnswer:
		return fail(checkReverseProxy, r.wsURL+" does not speak WebSocket: "+pe.Error(),
			"a web page answered instead of the push server: the proxy sends this path to Nextcloud or another site",
			"route /push/ to the push server, "+seeProxy)
	}
	meaning, fix := explain(err, "the WebSocket URL")
	return fail(checkReverseProxy, "no WebSocket through "+r.wsURL+": "+err.Error(), meaning, fix)
}

// explainApp explains a failed request to one of the app's routes.

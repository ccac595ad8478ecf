package config

import (
	"net"
	"strconv"
	"strings"
)

// redisKeys are where config.php describes Redis, the first present
// winning: the push server's own, a cluster, one node.
var redisKeys = []string{"notify_push_redis", "redis.cluster", "redis"}

// redisTLS is what ssl_context (or a tls:// host) asks of the connection.
type redisTLS struct {
	on                         bool
	cert, key, ca              string
	dontValidateHost, insecure bool
}

// redis fills the REDIS_URL setting, and the REDIS_TLS_* ones when TLS is
// on, from the first of redisKeys present.
func (n nextcloud) redis(layer *fileLayer) {
	var e entry
	for _, k := range redisKeys {
		if e = n.top(k); e.present {
			break
		}
	}
	if !e.present {
		return
	}
	src := n.source(e.key)
	if _, err := e.array(); err != nil {
		layer.values["redis-url"] = failed(src, []error{err})
		return
	}
	var problems []error
	user, err := e.child("user").str()
	problems = appendErr(problems, err)
	password, err := e.child("password").str()
	problems = appendErr(problems, err)
	tls := sslContext(e.child("ssl_context"), &problems)

	if password == "" {
		user = "" // Nextcloud authenticates only with a password, the user name going with it
	}
	var urls []string
	cluster := e.key == "redis.cluster" || (e.key == "notify_push_redis" && e.child("seeds").present)
	if cluster {
		urls = redisSeeds(e.child("seeds"), userinfo(user, password), &tls, &problems)
	} else {
		urls = []string{redisNode(e, user, password, &tls, &problems)}
	}
	if len(problems) > 0 {
		layer.values["redis-url"] = failed(src, problems)
		return
	}
	layer.values["redis-url"] = fileValue{values: urls, source: src}
	layer.redisCluster = cluster
	if !tls.on {
		return
	}
	for flag, v := range map[string]string{"redis-tls-cert": tls.cert, "redis-tls-key": tls.key, "redis-tls-ca": tls.ca} {
		if v != "" {
			layer.values[flag] = fileValue{values: []string{v}, source: src}
		}
	}
	if tls.dontValidateHost {
		layer.values["redis-tls-dont-validate-hostname"] = fileValue{values: []string{"true"}, source: src}
	}
	if tls.insecure {
		layer.values["redis-tls-insecure"] = fileValue{values: []string{"true"}, source: src}
	}
}

// redisNode is the URL of one node: host (a path is a unix socket, tls://
// or rediss:// asks for TLS), port and dbindex.
func redisNode(e entry, user, password string, tls *redisTLS, problems *[]error) string {
	host, err := e.child("host").str()
	*problems = appendErr(*problems, err)
	host = orDefault(host, "127.0.0.1")
	db, _, err := e.child("dbindex").integer()
	*problems = appendErr(*problems, err)
	if db < 0 {
		*problems = append(*problems, e.child("dbindex").errorf("database number %d is negative", db))
	}

	if strings.HasPrefix(host, "/") {
		// A socket: the port is ignored (0 is usual) and TLS does not apply.
		tls.on = false
		var params []string
		if db > 0 {
			params = append(params, "db", strconv.FormatInt(db, 10))
		}
		if user != "" {
			params = append(params, "user", user)
		}
		if password != "" {
			params = append(params, "password", password)
		}
		return "redis+unix://" + escapePath(host) + query(params...)
	}
	host = stripTLSScheme(host, tls)
	portE := e.child("port")
	port, _, err := portE.integer()
	*problems = appendErr(*problems, err)
	if port < 0 || port > 65535 {
		*problems = append(*problems, portE.errorf("port %d is out of range", port))
	}
	path := ""
	if db > 0 {
		path = "/" + strconv.FormatInt(db, 10)
	}
	// phpredis reads port 0 as its default, 6379.
	return redisScheme(tls) + userinfo(user, password) + hostPort(unbracket(host), orPort(int(port), 6379)) + path
}

// redisSeeds are the URLs of a cluster's seeds, host:port each.
func redisSeeds(e entry, auth string, tls *redisTLS, problems *[]error) []string {
	arr, err := e.array()
	switch {
	case err != nil:
		*problems = append(*problems, err)
		return nil
	case arr == nil || arr.Len() == 0:
		*problems = append(*problems, e.errorf("a cluster needs its seeds, a list of host:port"))
		return nil
	}
	var hosts []string
	for _, k := range arr.Keys() {
		seed := e.child(k.String())
		s, err := seed.str()
		if err != nil {
			*problems = append(*problems, err)
			continue
		}
		s = stripTLSScheme(s, tls)
		host, port, err := net.SplitHostPort(s)
		p, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
			*problems = append(*problems, seed.errorf("expected host:port, got %q", s))
			continue
		}
		hosts = append(hosts, hostPort(host, p))
	}
	// The scheme is known once every seed has been read: one tls:// seed
	// puts the whole cluster on TLS.
	urls := make([]string, len(hosts))
	for i, h := range hosts {
		urls[i] = redisScheme(tls) + auth + h
	}
	return urls
}

// sslContext reads phpredis' stream context options: a non-empty one
// means TLS.
func sslContext(e entry, problems *[]error) redisTLS {
	arr, err := e.array()
	if err != nil {
		*problems = append(*problems, err)
	}
	if arr == nil || arr.Len() == 0 {
		return redisTLS{}
	}
	t := redisTLS{on: true}
	for _, f := range []struct {
		key string
		dst *string
	}{{"local_cert", &t.cert}, {"local_pk", &t.key}, {"cafile", &t.ca}} {
		var err error
		*f.dst, err = e.child(f.key).str()
		*problems = appendErr(*problems, err)
	}
	verifyName, err := e.child("verify_peer_name").boolean(true)
	*problems = appendErr(*problems, err)
	verify, err := e.child("verify_peer").boolean(true)
	*problems = appendErr(*problems, err)
	t.dontValidateHost, t.insecure = !verifyName, !verify
	return t
}

// stripTLSScheme removes tls:// or rediss:// from a host, which then means TLS.
func stripTLSScheme(host string, tls *redisTLS) string {
	for _, scheme := range []string{"tls://", "rediss://"} {
		if len(host) >= len(scheme) && strings.EqualFold(host[:len(scheme)], scheme) {
			tls.on = true
			return host[len(scheme):]
		}
	}
	return host
}

func redisScheme(tls *redisTLS) string {
	if tls.on {
		return "rediss://"
	}
	return "redis://"
}

// unbracket removes the brackets of an IPv6 literal.
func unbracket(host string) string {
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		return host[1 : len(host)-1]
	}
	return host
}

package redis

import (
	"errors"
	"fmt"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

// Options say how to reach Redis: REDIS_URL and the REDIS_TLS_* settings
// (PROTOCOL §9).
type Options struct {
	// URLs are redis://[user:password@]host[:port][/db], rediss://... (TLS),
	// redis+unix:///path[?db=N&password=...] or unix:///path URLs. Several
	// URLs are the seeds of a cluster.
	URLs []string
	// Cluster uses cluster mode even with a single URL (a cluster given by
	// one seed).
	Cluster bool

	// TLSCert and TLSKey are PEM files of a client certificate and its key.
	TLSCert, TLSKey string
	// TLSCA is a PEM file of the CA certificates the server's certificate is
	// checked against, instead of the system's.
	TLSCA string
	// TLSDontValidateHostname checks the server's certificate chain but not
	// the name it was issued for.
	TLSDontValidateHostname bool
	// TLSInsecure checks nothing of the server's certificate.
	TLSInsecure bool

	// Errors, when set, counts failed dials and commands.
	Errors *atomic.Uint64
}

// Resolved is Options turned into go-redis options: exactly one field is set.
type Resolved struct {
	Single  *goredis.Options
	Cluster *goredis.ClusterOptions
}

// Resolve parses the URLs and reads the TLS files. Its errors never show a
// password.
func (o Options) Resolve() (Resolved, error) {
	if len(o.URLs) == 0 {
		return Resolved{}, errors.New("no Redis URL")
	}
	eps := make([]endpoint, 0, len(o.URLs))
	for _, raw := range o.URLs {
		ep, err := parseURL(raw)
		if err != nil {
			return Resolved{}, err
		}
		eps = append(eps, ep)
	}
	if len(eps) == 1 && !o.Cluster {
		return o.single(eps[0])
	}
	return o.cluster(eps)
}

// usesTLSFiles reports whether any TLS setting is given.
func (o Options) usesTLSFiles() bool {
	return o.TLSCert != "" || o.TLSKey != "" || o.TLSCA != "" || o.TLSDontValidateHostname || o.TLSInsecure
}

func (o Options) single(ep endpoint) (Resolved, error) {
	opt := ep.opts
	if ep.tls {
		cfg, err := o.tlsConfig(ep.insecure)
		if err != nil {
			return Resolved{}, err
		}
		opt.TLSConfig = cfg
	}
	// Let a caller's deadline bound each command, not only the fixed timeouts.
	opt.ContextTimeoutEnabled = true
	return Resolved{Single: opt}, nil
}

func (o Options) cluster(eps []endpoint) (Resolved, error) {
	first := eps[0].opts
	co := &goredis.ClusterOptions{
		Protocol:              first.Protocol,
		ClientName:            first.ClientName,
		MaxRetries:            first.MaxRetries,
		DialTimeout:           first.DialTimeout,
		ReadTimeout:           first.ReadTimeout,
		WriteTimeout:          first.WriteTimeout,
		PoolSize:              first.PoolSize,
		ContextTimeoutEnabled: true,
	}
	insecure := false
	for _, ep := range eps {
		switch {
		case ep.opts.Network == "unix":
			return Resolved{}, fmt.Errorf("redis URL %s: a cluster is reached over TCP, not a unix socket", ep.masked)
		case ep.opts.DB != 0:
			return Resolved{}, fmt.Errorf("redis URL %s: a cluster has only database 0", ep.masked)
		case ep.tls != eps[0].tls:
			return Resolved{}, errors.New("cluster URLs mix redis:// and rediss://")
		}
		if err := agree(&co.Username, ep.opts.Username); err != nil {
			return Resolved{}, errors.New("cluster URLs disagree on the user name")
		}
		if err := agree(&co.Password, ep.opts.Password); err != nil {
			return Resolved{}, errors.New("cluster URLs disagree on the password")
		}
		insecure = insecure || ep.insecure
		co.Addrs = append(co.Addrs, ep.opts.Addr)
	}
	if eps[0].tls {
		cfg, err := o.tlsConfig(insecure)
		if err != nil {
			return Resolved{}, err
		}
		co.TLSConfig = cfg
	}
	return Resolved{Cluster: co}, nil
}

// agree keeps the first non-empty value and refuses a different second one.
func agree(dst *string, v string) error {
	switch {
	case v == "" || v == *dst:
		return nil
	case *dst == "":
		*dst = v
		return nil
	default:
		return errors.New("conflict")
	}
}

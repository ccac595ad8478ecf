package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/notifypush/notify_push/adapters/config/php"
)

// fileLayer is what Nextcloud's config.php files supply, keyed by setting
// flag: the values and the files they came from, or why the setting could
// not be read from them. It sits between .env and the defaults.
type fileLayer struct {
	values map[string]fileValue
	// redisCluster: the Redis URLs are the seeds of a cluster.
	redisCluster bool
}

type fileValue struct {
	values []string
	source Source
	err    error
}

// redisTLSFlags are the settings config.php's ssl_context fills.
var redisTLSFlags = []string{"redis-tls-cert", "redis-tls-key", "redis-tls-ca", "redis-tls-dont-validate-hostname", "redis-tls-insecure"}

// nextcloud turns the merged configuration into settings, the way
// Nextcloud and the upstream push server read it (PROTOCOL §9).
type nextcloud struct {
	cfg *php.Array
	// fileOf names the file that set a top-level key; files are all files
	// read, in order, the first being config.php.
	fileOf func(key string) string
	files  []string
	// root is the Nextcloud folder, the config folder's parent.
	root string
	// exists reports whether a file exists, for MySQL's socket discovery.
	exists func(path string) bool
}

// readNextcloudConfig loads config.php, and with glob every *.config.php
// beside it, and resolves the settings they hold. It also returns the files
// read.
func readNextcloudConfig(path string, glob bool, opts Options) (fileLayer, []string, error) {
	l, err := php.LoadFiles(path, glob, php.Options{Env: php.Env(opts.Env), ReadFile: opts.ReadFile, ListDir: opts.ListDir})
	if err != nil {
		return fileLayer{}, l.Files, err
	}
	n := nextcloud{
		cfg: l.Config, fileOf: l.File, files: l.Files,
		root: filepath.Join(filepath.Dir(path), ".."), exists: opts.Exists,
	}
	return n.resolve(), l.Files, nil
}

// resolve reads every setting config.php can give. Problems are kept per
// setting, so that one overridden by a flag or the environment does not
// stop the server.
func (n nextcloud) resolve() fileLayer {
	layer := fileLayer{values: make(map[string]fileValue)}
	layer.values["database-url"] = n.database()
	if prefix := n.top("dbtableprefix"); prefix.present {
		layer.values["database-prefix"] = n.prefix(prefix)
	}
	if url := n.top("overwrite.cli.url"); url.present {
		v := fileValue{source: n.source("overwrite.cli.url")}
		s, err := url.str()
		switch {
		case err != nil:
			v.err = err
		case s != "":
			v.values = []string{s}
		}
		if v.err != nil || len(v.values) > 0 {
			layer.values["nextcloud-url"] = v
		}
	}
	n.redis(&layer)
	for key, flag := range map[string]string{"trusted_proxies": "trusted-proxies", "forwarded_for_headers": "forwarded-for-headers"} {
		// An empty list is taken as unset (the defaults: loopback proxies,
		// X-Forwarded-For); a setting needs at least one value to apply.
		if e := n.top(key); e.present {
			if v := n.stringList(e); v.err != nil || len(v.values) > 0 {
				layer.values[flag] = v
			}
		}
	}
	return layer
}

// stringList reads a list of strings, such as trusted_proxies.
func (n nextcloud) stringList(e entry) fileValue {
	v := fileValue{source: n.source(e.key)}
	arr, err := e.array()
	if err != nil {
		v.err = err
		return v
	}
	var problems []error
	for _, k := range arr.Keys() {
		s, err := e.child(k.String()).str()
		if err != nil {
			problems = append(problems, err)
			continue
		}
		v.values = append(v.values, s)
	}
	if len(problems) > 0 {
		return failed(v.source, problems)
	}
	return v
}

// prefix reads dbtableprefix. An empty prefix is valid in Nextcloud: the
// tables are then mounts and filecache.
func (n nextcloud) prefix(e entry) fileValue {
	v := fileValue{source: n.source(e.key)}
	s, err := e.str()
	if err != nil {
		v.err = err
	} else {
		v.values = []string{s}
	}
	return v
}

// top is a top-level key of the merged configuration.
func (n nextcloud) top(key string) entry {
	e := entry{key: key, file: n.fileOf(key)}
	e.v, _ = n.cfg.Get(key)
	e.present = e.v != nil
	e.pos = n.cfg.Pos(key)
	return e
}

// source names the files that set the given top-level keys, in the order
// they were read; config.php when none of the keys is set (a default of
// Nextcloud's applies).
func (n nextcloud) source(keys ...string) Source {
	var names []string
	for _, f := range n.files {
		for _, k := range keys {
			if n.fileOf(k) == f {
				names = append(names, filepath.Base(f))
				break
			}
		}
	}
	if len(names) == 0 && len(n.files) > 0 {
		names = append(names, filepath.Base(n.files[0]))
	}
	return Source(strings.Join(names, ", "))
}

// failed is a fileValue carrying every problem found.
func failed(src Source, problems []error) fileValue {
	return fileValue{source: src, err: errors.Join(problems...)}
}

// osExists is the real file system's answer for socket discovery.
func osExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

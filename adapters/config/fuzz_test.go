package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/adapters/config/php"
)

// FuzzResolve: whatever array a config.php parses to, resolving it never
// panics, and every setting it gives has values or a problem, not both.
func FuzzResolve(f *testing.F) {
	_ = filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".php") {
			if data, err := os.ReadFile(path); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
	f.Add([]byte(`<?php $CONFIG = ['dbtype' => 'mysql', 'dbhost' => '[', 'dbport' => '-0', 'redis.cluster' => ['seeds' => [[], ':', '[::1]:0']]];`))
	f.Add([]byte(`<?php $CONFIG = ['dbtype' => 'pgsql', 'dbhost' => ':/.s', 'notify_push_redis' => ['seeds' => 1, 'ssl_context' => [1]]];`))
	f.Add([]byte(`<?php $CONFIG = ['trusted_proxies' => [], 'forwarded_for_headers' => []];`))
	env := func(name string) (string, bool) { return "set", name != "UNSET" }
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := php.Parse("/nc/config/config.php", src, php.Options{Env: env, ServerRoot: "/nc",
			ReadFile: func(string) ([]byte, error) { return []byte("secret"), nil }})
		if err != nil {
			return
		}
		n := nextcloud{cfg: cfg, fileOf: func(string) string { return "/nc/config/config.php" },
			files: []string{"/nc/config/config.php"}, root: "/nc", exists: func(p string) bool { return strings.HasPrefix(p, "/tmp") }}
		layer := n.resolve()
		for flag, v := range layer.values {
			if (v.err == nil) == (len(v.values) == 0) {
				t.Fatalf("%s: values %q and error %v", flag, v.values, v.err)
			}
			if v.source != "config.php" {
				t.Fatalf("%s: source %q", flag, v.source)
			}
		}
		if _, ok := layer.values["database-url"]; !ok {
			t.Fatal("no database setting: Nextcloud's default is SQLite")
		}
	})
}

package config

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// memFS is a config folder in memory.
type memFS map[string]string

func (m memFS) read(path string) ([]byte, error) {
	s, ok := m[path]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	return []byte(s), nil
}

func (m memFS) list(dir string) ([]string, error) {
	var names []string
	for p := range m {
		if filepath.Dir(p) == dir {
			names = append(names, filepath.Base(p))
		}
	}
	return names, nil
}

func (m memFS) options(env, dotenv map[string]string) Options {
	return Options{Env: envOf(env), DotEnv: dotenv, ReadFile: m.read, ListDir: m.list, Exists: func(string) bool { return false }}
}

// splitConfig is Nextcloud's configuration over two files, as the
// official image has it.
var splitConfig = memFS{
	"/nc/config/config.php": `<?php $CONFIG = array (
  'dbtype' => 'pgsql', 'dbhost' => 'db', 'dbname' => 'nextcloud', 'dbuser' => 'nc', 'dbpassword' => 'db-s3cret',
  'dbtableprefix' => 'file_', 'overwrite.cli.url' => 'https://file.example.com',
);`,
	"/nc/config/redis.config.php": `<?php $CONFIG = array (
  'redis.cluster' => array ('seeds' => array ('r1:7000', 'r2:7000'), 'password' => 'redis-s3cret'),
);`,
}

func TestPrecedenceFlagEnvDotEnvConfigPHP(t *testing.T) {
	for _, c := range []struct {
		args        []string
		env, dotenv map[string]string
		want        string
		source      Source
	}{
		{[]string{"--database-prefix", "flag_"}, map[string]string{"DATABASE_PREFIX": "env_"}, map[string]string{"DATABASE_PREFIX": "dot_"}, "flag_", FromFlag},
		{nil, map[string]string{"DATABASE_PREFIX": "env_"}, map[string]string{"DATABASE_PREFIX": "dot_"}, "env_", FromEnv},
		{nil, nil, map[string]string{"DATABASE_PREFIX": "dot_"}, "dot_", FromDotEnv},
		{nil, nil, nil, "file_", "config.php"},
	} {
		args := append(append([]string{"--glob-config"}, c.args...), "/nc/config/config.php")
		res, err := LoadWith(args, splitConfig.options(c.env, c.dotenv))
		if err != nil {
			t.Fatal(err)
		}
		if res.Config.DatabasePrefix != c.want || res.Sources["database-prefix"] != c.source {
			t.Errorf("%v %v %v: prefix %q from %q, want %q from %q", c.args, c.env, c.dotenv,
				res.Config.DatabasePrefix, res.Sources["database-prefix"], c.want, c.source)
		}
	}
	res, err := LoadWith([]string{"--glob-config", "/nc/config/config.php"}, splitConfig.options(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]Source{
		"database-url": "config.php", "redis-url": "redis.config.php", "redis-cluster": "redis.config.php",
		"nextcloud-url": "config.php", "port": FromDefault,
	} {
		if got := res.Sources[flag]; got != want || !want.IsFile() && got.IsFile() {
			t.Errorf("source of %s = %q, want %q", flag, got, want)
		}
	}
	if !res.Config.RedisCluster || len(res.Config.RedisURLs) != 2 || len(res.ConfigFiles) != 2 {
		t.Errorf("cluster %v, urls %q, files %q", res.Config.RedisCluster, res.Config.RedisURLs, res.ConfigFiles)
	}
}

func TestRedisURLFromElsewhereIsNoCluster(t *testing.T) {
	res, err := LoadWith([]string{"--glob-config", "--redis-url", "redis://one:6379", "/nc/config/config.php"}, splitConfig.options(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Config.RedisCluster || res.Sources["redis-cluster"] != "" {
		t.Errorf("a --redis-url is not config.php's cluster: %+v", res.Sources)
	}
}

func TestEveryProblemOfEverySourceIsReported(t *testing.T) {
	fsys := memFS{"/nc/config/config.php": `<?php $CONFIG = ['dbtype' => 'oci', 'overwrite.cli.url' => [], 'redis' => 'localhost'];`}
	_, err := LoadWith([]string{"/nc/config/config.php"}, fsys.options(map[string]string{"PORT": "x"}, nil))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"/nc/config/config.php:1:30: Oracle (dbtype oci) is not supported",
		"/nc/config/config.php:1:60: overwrite.cli.url: expected a string, got array",
		"/nc/config/config.php:1:75: redis: expected an array, got string",
		`PORT (environment): "x" is not a port number`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestUnreadableConfigPHP(t *testing.T) {
	fsys := memFS{"/nc/config/config.php": "<?php\n$CONFIG = ['a' => foo()];"}
	for path, want := range map[string]string{
		"/nc/config/config.php":  "/nc/config/config.php:2:19: unsupported PHP construct: function call foo()",
		"/nc/config/missing.php": "read config file /nc/config/missing.php: open /nc/config/missing.php: file does not exist",
	} {
		_, err := LoadWith([]string{path}, fsys.options(nil, nil))
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v, want %s", path, err, want)
		}
	}
}

func TestHelpAndVersionNeedNoConfiguration(t *testing.T) {
	for _, args := range [][]string{{"--help", "/missing/config.php"}, {"-h"}, {"--version", "/missing/config.php"}} {
		res, err := LoadWith(args, memFS{}.options(map[string]string{"PORT": "not a port"}, nil))
		if err != nil || !(res.Help || res.Version) {
			t.Errorf("%v: %+v, %v", args, res, err)
		}
	}
}

func TestDumpShowsFilesSourcesAndMasksSecrets(t *testing.T) {
	res, err := LoadWith([]string{"--glob-config", "--dump-config", "/nc/config/config.php"}, splitConfig.options(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !res.DumpConfig || !res.GlobConfig {
		t.Errorf("DumpConfig %v, GlobConfig %v", res.DumpConfig, res.GlobConfig)
	}
	var out bytes.Buffer
	Dump(&out, res)
	for _, secret := range []string{"db-s3cret", "redis-s3cret"} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("dump leaks %q:\n%s", secret, out.String())
		}
	}
	for _, want := range []string{
		"# Nextcloud configuration read from /nc/config/config.php, /nc/config/redis.config.php",
		"postgres://nc:***@db:5432/nextcloud", "(config.php)",
		"redis://:***@r1:7000,redis://:***@r2:7000", "(redis.config.php)",
		"redis-cluster", "glob-config", "(flag)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dump lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "dump-config") {
		t.Errorf("dump lists the --dump-config action:\n%s", out.String())
	}
}

func TestMetricsSettings(t *testing.T) {
	res, err := Load([]string{"-m", "9100"}, envOf(map[string]string{"METRICS_SOCKET_PATH": "/run/m.sock"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Config.MetricsPort != 9100 || res.Config.MetricsSocketPath != "/run/m.sock" {
		t.Errorf("metrics: %d %q", res.Config.MetricsPort, res.Config.MetricsSocketPath)
	}
	if res, err := Load(nil, envOf(nil), nil); err != nil || res.Config.MetricsPort != 0 {
		t.Errorf("metrics are off by default: %v %v", res.Config.MetricsPort, err)
	}
}

func TestGlobConfigIsFlagOnly(t *testing.T) {
	res, err := LoadWith([]string{"/nc/config/config.php"}, splitConfig.options(map[string]string{"GLOB_CONFIG": "1"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.GlobConfig || len(res.ConfigFiles) != 1 || res.Config.RedisURLs != nil {
		t.Errorf("without --glob-config: files %q, redis %q", res.ConfigFiles, res.Config.RedisURLs)
	}
	if _, err := LoadWith([]string{"--glob-config=maybe", "/nc/config/config.php"}, splitConfig.options(nil, nil)); err == nil {
		t.Error("--glob-config=maybe accepted")
	}
}

func TestFlagsMayFollowThePath(t *testing.T) {
	res, err := LoadWith([]string{"/nc/config/config.php", "--glob-config", "-p", "8000"}, splitConfig.options(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.ConfigFile != "/nc/config/config.php" || !res.GlobConfig || res.Config.Port != 8000 {
		t.Errorf("file %q, glob %v, port %d", res.ConfigFile, res.GlobConfig, res.Config.Port)
	}
	if _, err := LoadWith([]string{"--", "--glob-config"}, memFS{}.options(nil, nil)); err == nil ||
		!strings.Contains(err.Error(), "read config file --glob-config") {
		t.Errorf("after --, an argument: err = %v", err)
	}
}

func TestSourceNamesEveryFileOfAValue(t *testing.T) {
	fsys := memFS{
		"/nc/config/config.php":    `<?php $CONFIG = ['dbtype' => 'pgsql', 'dbhost' => 'db'];`,
		"/nc/config/db.config.php": `<?php $CONFIG = ['dbpassword' => 'from-a-secret'];`,
	}
	res, err := LoadWith([]string{"--glob-config", "/nc/config/config.php"}, fsys.options(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Sources["database-url"]; got != "config.php, db.config.php" || !got.IsFile() {
		t.Errorf("source = %q", got)
	}
}

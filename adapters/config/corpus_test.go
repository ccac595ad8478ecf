package config

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/adapters/redis"
	"github.com/notifypush/notify_push/app"
)

// corpusDir holds the config.php corpus; its README.md describes the
// *.resolved.json expectations this file runs.
const corpusDir = "../../testdata/config"

// resolvedCase is one *.resolved.json: how to run Load on a config.php
// and what it must give.
type resolvedCase struct {
	// Path is where the case's config.php pretends to be; its folder is
	// the config folder. Default /var/www/html/config/config.php.
	Path string `json:"path"`
	// Args are the command line besides the config.php path.
	Args []string `json:"args"`
	// Env is the environment, which getenv() in config.php sees too.
	Env    map[string]string `json:"env"`
	DotEnv map[string]string `json:"dotenv"`
	// Exists are the files that exist, for MySQL's socket discovery.
	Exists []string `json:"exists"`

	// Config is the expected result; Sources where its values came from
	// (only the settings config.php can give); Files the files read, by
	// base name.
	Config  *resolvedConfig   `json:"config"`
	Sources map[string]string `json:"sources"`
	Files   []string          `json:"files"`
	// Errors are the expected problems, one per line, instead of Config.
	Errors []string `json:"errors"`
}

// resolvedConfig is the part of app.Config that config.php gives.
type resolvedConfig struct {
	DatabaseURL string `json:"DatabaseURL"`
	// DatabasePrefix absent from a case means the default; "" is a prefix.
	DatabasePrefix               *string  `json:"DatabasePrefix"`
	RedisURLs                    []string `json:"RedisURLs"`
	RedisCluster                 bool     `json:"RedisCluster"`
	RedisTLSCert                 string   `json:"RedisTLSCert"`
	RedisTLSKey                  string   `json:"RedisTLSKey"`
	RedisTLSCA                   string   `json:"RedisTLSCA"`
	RedisTLSDontValidateHostname bool     `json:"RedisTLSDontValidateHostname"`
	RedisTLSInsecure             bool     `json:"RedisTLSInsecure"`
	NextcloudURL                 string   `json:"NextcloudURL"`
}

func resolvedOf(c app.Config) resolvedConfig {
	return resolvedConfig{
		DatabaseURL: c.DatabaseURL, DatabasePrefix: &c.DatabasePrefix, RedisURLs: c.RedisURLs, RedisCluster: c.RedisCluster,
		RedisTLSCert: c.RedisTLSCert, RedisTLSKey: c.RedisTLSKey, RedisTLSCA: c.RedisTLSCA,
		RedisTLSDontValidateHostname: c.RedisTLSDontValidateHostname, RedisTLSInsecure: c.RedisTLSInsecure,
		NextcloudURL: c.NextcloudURL,
	}
}

// fileSettings are the settings config.php can give, whose sources a case
// states.
var fileSettings = []string{"database-url", "database-prefix", "redis-url", "redis-cluster", "nextcloud-url",
	"redis-tls-cert", "redis-tls-key", "redis-tls-ca", "redis-tls-dont-validate-hostname", "redis-tls-insecure"}

// corpusRun is a case ready to run: its expectation file and the corpus
// folder or file that plays its config folder.
type corpusRun struct {
	name     string // path of the expectation, relative to corpusDir
	php      string // the corpus file that is config.php; "" for a glob folder
	dir      string // the corpus folder that is the config folder, for glob cases
	expected resolvedCase
}

func loadResolvedCorpus(t *testing.T) []corpusRun {
	t.Helper()
	var runs []corpusRun
	phpUsed := map[string]bool{}
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, path)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "resolve/") && strings.HasSuffix(rel, ".php") {
			phpUsed[rel] = phpUsed[rel] || false
		}
		if d.IsDir() || !strings.HasSuffix(rel, ".resolved.json") {
			return nil
		}
		r := corpusRun{name: rel}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r.expected); err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		if strings.HasPrefix(rel, "glob/") {
			r.dir = filepath.Dir(path)
		} else {
			base, _, _ := strings.Cut(strings.TrimSuffix(rel, ".resolved.json"), "@")
			r.php = base + ".php"
			phpUsed[r.php] = true
		}
		runs = append(runs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for f, used := range phpUsed {
		if !used {
			t.Errorf("%s has no .resolved.json expectation", f)
		}
	}
	return runs
}

// fakeFS serves a case: its config folder from the corpus, other absolute
// paths (secrets) from testdata/config/fakefs, and only the listed files as
// existing.
type fakeFS struct {
	configDir string // where the case pretends config.php is
	files     map[string]string
	exists    []string
}

func newFakeFS(t *testing.T, r corpusRun) *fakeFS {
	f := &fakeFS{configDir: filepath.Dir(r.expected.Path), files: map[string]string{}, exists: r.expected.Exists}
	if r.php != "" {
		f.files["config.php"] = filepath.Join(corpusDir, r.php)
		return f
	}
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			f.files[e.Name()] = filepath.Join(r.dir, e.Name())
		}
	}
	return f
}

func (f *fakeFS) readFile(path string) ([]byte, error) {
	if filepath.Dir(path) == f.configDir {
		if real, ok := f.files[filepath.Base(path)]; ok {
			return os.ReadFile(real)
		}
	} else if data, err := os.ReadFile(filepath.Join(corpusDir, "fakefs", filepath.FromSlash(path))); err == nil {
		return data, nil
	}
	return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
}

func (f *fakeFS) listDir(dir string) ([]string, error) {
	if dir != f.configDir {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: fs.ErrNotExist}
	}
	var names []string
	for n := range f.files {
		names = append(names, n)
	}
	return names, nil
}

func (f *fakeFS) exist(path string) bool { return slices.Contains(f.exists, path) }

func TestResolvedCorpus(t *testing.T) {
	runs := loadResolvedCorpus(t)
	if len(runs) < 60 {
		t.Fatalf("only %d resolved cases in %s", len(runs), corpusDir)
	}
	for _, r := range runs {
		t.Run(strings.TrimSuffix(r.name, ".resolved.json"), func(t *testing.T) {
			c := r.expected
			if c.Path == "" {
				c.Path = "/var/www/html/config/config.php"
				r.expected.Path = c.Path
			}
			fsys := newFakeFS(t, r)
			res, err := LoadWith(append(slices.Clone(c.Args), c.Path), Options{
				Env: envOf(c.Env), DotEnv: c.DotEnv, ReadFile: fsys.readFile, ListDir: fsys.listDir, Exists: fsys.exist,
			})
			if c.Errors != nil {
				if err == nil {
					t.Fatalf("no error, want:\n%s", strings.Join(c.Errors, "\n"))
				}
				if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, c.Errors) {
					t.Fatalf("errors\n got: %q\nwant: %q", got, c.Errors)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error:\n%v", err)
			}
			if c.Config == nil {
				t.Fatal("the case states neither config nor errors")
			}
			want := *c.Config
			if want.DatabasePrefix == nil {
				def := app.DefaultDatabasePrefix
				want.DatabasePrefix = &def
			}
			if got := resolvedOf(res.Config); !reflect.DeepEqual(got, want) {
				t.Errorf("config\n got: %s\nwant: %s", jsonText(got), jsonText(want))
			}
			gotSources := map[string]string{}
			for _, f := range fileSettings {
				if src, ok := res.Sources[f]; ok && src != FromDefault {
					gotSources[f] = string(src)
				}
			}
			if c.Sources == nil {
				c.Sources = map[string]string{}
			}
			if !reflect.DeepEqual(gotSources, c.Sources) {
				t.Errorf("sources\n got: %v\nwant: %v", gotSources, c.Sources)
			}
			var files []string
			for _, f := range res.ConfigFiles {
				files = append(files, filepath.Base(f))
			}
			if c.Files == nil {
				c.Files = []string{"config.php"}
			}
			if !slices.Equal(files, c.Files) {
				t.Errorf("files read\n got: %q\nwant: %q", files, c.Files)
			}
			checkAdaptersAccept(t, res.Config)
		})
	}
}

// checkAdaptersAccept makes sure the URLs config.php turned into are ones
// the database and Redis adapters read, where that needs no files: TLS
// files of the corpus do not exist.
func checkAdaptersAccept(t *testing.T, cfg app.Config) {
	t.Helper()
	if cfg.DatabaseURL != "" && !strings.Contains(cfg.DatabaseURL, "ssl-c") && !strings.Contains(cfg.DatabaseURL, "ssl-key") {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // parse, then fail before connecting
		_, _, err := gormdb.Open(ctx, cfg.DatabaseURL, nil)
		if err == nil || !strings.HasSuffix(err.Error(), context.Canceled.Error()) {
			t.Errorf("database adapter refuses %s: %v", MaskURL(cfg.DatabaseURL), err)
		}
	}
	if len(cfg.RedisURLs) > 0 && cfg.RedisTLSCert == "" && cfg.RedisTLSCA == "" {
		opts := redis.Options{URLs: cfg.RedisURLs, Cluster: cfg.RedisCluster,
			TLSDontValidateHostname: cfg.RedisTLSDontValidateHostname, TLSInsecure: cfg.RedisTLSInsecure}
		if _, err := opts.Resolve(); err != nil {
			t.Errorf("Redis adapter refuses %q: %v", cfg.RedisURLs, err)
		}
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

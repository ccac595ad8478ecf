package php

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readCorpusFile reads real files for relative paths (the corpus) and the
// fake file system for absolute ones (secrets such as /run/secrets/x).
func readCorpusFile(path string) ([]byte, error) {
	if filepath.IsAbs(path) {
		return fakeFS(path)
	}
	return os.ReadFile(path)
}

func TestLoadFilesGlobCorpus(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(corpusDir, "glob", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no glob cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			env, err := readEnvFile(filepath.Join(dir, "env"))
			if err != nil {
				t.Fatal(err)
			}
			l, err := LoadFiles(filepath.Join(dir, "config.php"), true, Options{Env: mapEnv(env), ReadFile: readCorpusFile, ServerRoot: corpusServerRoot})
			if err != nil {
				t.Fatal(err)
			}
			got, files := l.Config, l.Files
			wantFiles, err := os.ReadFile(filepath.Join(dir, "files.txt"))
			if err != nil {
				t.Fatal(err)
			}
			var gotFiles []string
			for _, f := range files {
				gotFiles = append(gotFiles, filepath.Base(f))
			}
			if w := strings.Fields(string(wantFiles)); !slices.Equal(gotFiles, w) {
				t.Errorf("files read\n got %q\nwant %q", gotFiles, w)
			}
			want, err := os.ReadFile(filepath.Join(dir, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			wantText, err := canonJSON(want)
			if err != nil {
				t.Fatal(err)
			}
			gotText, err := canonValue(got)
			if err != nil {
				t.Fatal(err)
			}
			if gotText != wantText {
				t.Errorf("merged config\n got: %s\nwant: %s", indent(gotText), indent(wantText))
			}
		})
	}
}

// memFS is an in-memory directory for LoadFiles' injected functions.
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

func TestLoadFilesWithoutGlobReadsOnlyMain(t *testing.T) {
	fsys := memFS{
		"/nc/config/config.php":       `<?php $CONFIG = ['a' => 1];`,
		"/nc/config/redis.config.php": `<?php $CONFIG = ['a' => 2];`,
	}
	l, err := LoadFiles("/nc/config/config.php", false, Options{Env: mapEnv(nil), ReadFile: fsys.read, ListDir: fsys.list})
	if err != nil {
		t.Fatal(err)
	}
	cfg, files := l.Config, l.Files
	if !slices.Equal(files, []string{"/nc/config/config.php"}) {
		t.Errorf("files = %q", files)
	}
	if v, _ := cfg.Get("a"); v != int64(1) {
		t.Errorf("a = %v, want 1", v)
	}
}

func TestLoadFilesErrors(t *testing.T) {
	fsys := memFS{
		"/nc/config/config.php":       `<?php $CONFIG = ['a' => 1];`,
		"/nc/config/a.config.php":     `<?php $CONFIG = ['b' => 2];`,
		"/nc/config/bad.config.php":   "<?php\n$CONFIG = ['c' => foo()];",
		"/nc/config/later.config.php": `<?php $CONFIG = ['d' => 4];`,
	}
	l, err := LoadFiles("/nc/config/config.php", true, Options{Env: mapEnv(nil), ReadFile: fsys.read, ListDir: fsys.list})
	files := l.Files
	want := "/nc/config/bad.config.php:2:19: unsupported PHP construct: function call foo()"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if !errors.Is(err, ErrUnsupported) {
		t.Error("errors.Is(err, ErrUnsupported) = false")
	}
	if !slices.Equal(files, []string{"/nc/config/config.php", "/nc/config/a.config.php"}) {
		t.Errorf("files read before the error = %q", files)
	}

	_, err = LoadFiles("/nc/config/missing.php", false, Options{Env: mapEnv(nil), ReadFile: fsys.read, ListDir: fsys.list})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "/nc/config/missing.php") {
		t.Errorf("missing main file: err = %v", err)
	}

	failList := func(string) ([]string, error) { return nil, errors.New("permission denied") }
	_, err = LoadFiles("/nc/config/config.php", true, Options{Env: mapEnv(nil), ReadFile: fsys.read, ListDir: failList})
	if err == nil || !strings.Contains(err.Error(), "list *.config.php in /nc/config: permission denied") {
		t.Errorf("list failure: err = %v", err)
	}
}

func TestLoadFilesSkipsMainFileInGlob(t *testing.T) {
	fsys := memFS{
		"/nc/config/main.config.php": `<?php $CONFIG = [1];`,
		"/nc/config/x.config.php":    `<?php $CONFIG = [2];`,
	}
	l, err := LoadFiles("/nc/config/main.config.php", true, Options{Env: mapEnv(nil), ReadFile: fsys.read, ListDir: fsys.list})
	if err != nil {
		t.Fatal(err)
	}
	cfg, files := l.Config, l.Files
	if len(files) != 2 || cfg.Len() != 2 {
		t.Errorf("files = %q, config has %d elements; want the main file once", files, cfg.Len())
	}
}

func TestLoadFilesDefaultsToOS(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("config.php", `<?php $CONFIG = ['host' => getenv('NOTIFY_PUSH_PHP_TEST')];`)
	write("x.config.php", `<?php $CONFIG = ['x' => trim(file_get_contents(getenv('NOTIFY_PUSH_PHP_SECRET')))];`)
	write("secret", "s3cret\n")
	if err := os.Mkdir(filepath.Join(dir, "dir.config.php"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFY_PUSH_PHP_TEST", "from-env")
	t.Setenv("NOTIFY_PUSH_PHP_SECRET", filepath.Join(dir, "secret"))
	l, err := LoadFiles(filepath.Join(dir, "config.php"), true, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, files := l.Config, l.Files
	if len(files) != 2 {
		t.Errorf("files = %q, want config.php and x.config.php (directories skipped)", files)
	}
	if v, _ := cfg.Get("host"); v != "from-env" {
		t.Errorf("host = %v", v)
	}
	if v, _ := cfg.Get("x"); v != "s3cret" {
		t.Errorf("x = %v", v)
	}
}

func TestArrayMergeRenumbersIntegerKeys(t *testing.T) {
	dst := NewArray()
	a := NewArray()
	a.Set(IntKey(5), "five")
	a.Set(StringKey("k"), "a")
	b := NewArray()
	b.Set(IntKey(5), "again")
	b.Set(StringKey("k"), "b")
	for _, src := range []*Array{a, b} {
		if err := arrayMerge(dst, src); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := canonValue(dst)
	if want := `{"0":"five","k":"b","1":"again"}`; got != want {
		t.Errorf("array_merge = %s, want %s", got, want)
	}
}

func TestNatCompare(t *testing.T) {
	// Sorted as PHP's natsort sorts them (checked against PHP 8.2).
	sorted := []string{
		"", "0.config.php", "2.config.php", "9.config.php", "10.config.php",
		"B.config.php", "a.config.php", "a1.config.php", "a2.config.php", "a10.config.php",
		"apcu.config.php", "apps.config.php", "redis.config.php", "reverse-proxy.config.php",
		"s3.config.php", "smtp.config.php", "swift.config.php",
	}
	for i := range sorted {
		for j := range sorted {
			got := natCompare(sorted[i], sorted[j])
			want := compareInts(i, j)
			if got != want {
				t.Errorf("natCompare(%q, %q) = %d, want %d", sorted[i], sorted[j], got, want)
			}
		}
	}
	// Leading zeros are skipped at the start and compare as fractions
	// elsewhere; spaces are skipped (also checked against PHP 8.2).
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"010.config.php", "10.config.php", 0}, {"x01", "x1", -1}, {"x 1", "x1", 0}, {"1.010", "1.01", 1}, {"abc", "abd", -1}, {"abc", "ab", 1},
	} {
		if got := natCompare(c.a, c.b); got != c.want {
			t.Errorf("natCompare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

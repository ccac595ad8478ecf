package php

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// corpusDir holds the table of .php files and their expected results; the
// layout is described in its README.md.
const corpusDir = "../../../testdata/config"

// corpusServerRoot is OC::$SERVERROOT in the corpus, as in the official image.
const corpusServerRoot = "/var/www/html"

// corpusCase is one expectation: a .json or .err file, the .php it runs
// and the optional .env it runs with.
type corpusCase struct {
	name     string // path relative to corpusDir without extension, e.g. container/redis@host
	php      string // relative path of the PHP file, also the file name in errors
	expected string // path of the .json or .err file
	wantErr  bool
	env      map[string]string
}

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	var cases []corpusCase
	phpFiles := map[string]bool{}
	var envFiles []string
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "glob" || rel == "fakefs" || rel == "resolve" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, ".resolved.json") {
			return nil // expectations of package config, which resolves the settings
		}
		ext := filepath.Ext(rel)
		base := strings.TrimSuffix(rel, ext)
		switch ext {
		case ".php":
			phpFiles[rel] = false
		case ".json", ".err":
			script, _, _ := strings.Cut(base, "@")
			c := corpusCase{name: base, php: script + ".php", expected: path, wantErr: ext == ".err"}
			if c.env, err = readEnvFile(filepath.Join(corpusDir, base+".env")); err != nil {
				return err
			}
			cases = append(cases, c)
		case ".env":
			envFiles = append(envFiles, base)
		case ".md":
		default:
			return fmt.Errorf("unexpected file %s in the corpus", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if _, ok := phpFiles[c.php]; !ok {
			t.Fatalf("%s: no %s", c.expected, c.php)
		}
		phpFiles[c.php] = true
	}
	for f, used := range phpFiles {
		if !used {
			t.Errorf("%s has no .json or .err expectation", f)
		}
	}
	for _, e := range envFiles {
		if !slices.ContainsFunc(cases, func(c corpusCase) bool { return c.name == e }) {
			t.Errorf("%s.env has no .json or .err expectation", e)
		}
	}
	return cases
}

// readEnvFile reads KEY=VALUE lines; a missing file is an empty
// environment. Values are taken literally, without quotes or escapes.
func readEnvFile(path string) (map[string]string, error) {
	env := map[string]string{}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return env, nil
	}
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: line %q is not KEY=VALUE", path, line)
		}
		env[k] = v
	}
	return env, sc.Err()
}

func mapEnv(env map[string]string) Env {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// fakeFS serves absolute paths from testdata/config/fakefs, so secrets
// such as /run/secrets/redis_password need no real file system.
func fakeFS(path string) ([]byte, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
	}
	data, err := os.ReadFile(filepath.Join(corpusDir, "fakefs", filepath.FromSlash(path)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
	}
	return data, err
}

func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < 80 {
		t.Fatalf("only %d corpus cases found in %s", len(cases), corpusDir)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(corpusDir, c.php))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(c.expected)
			if err != nil {
				t.Fatal(err)
			}
			got, perr := Parse(c.php, src, Options{Env: mapEnv(c.env), ReadFile: fakeFS, ServerRoot: corpusServerRoot})
			if c.wantErr {
				wantMsg := strings.TrimSpace(string(want))
				if perr == nil {
					t.Fatalf("no error, want %q", wantMsg)
				}
				if perr.Error() != wantMsg {
					t.Fatalf("error\n got %q\nwant %q", perr.Error(), wantMsg)
				}
				var pe *Error
				if !errors.As(perr, &pe) {
					t.Fatalf("error is %T, want *Error", perr)
				}
				return
			}
			if perr != nil {
				t.Fatalf("unexpected error: %v", perr)
			}
			gotText, err := canonValue(got)
			if err != nil {
				t.Fatal(err)
			}
			wantText, err := canonJSON(want)
			if err != nil {
				t.Fatalf("%s: %v", c.expected, err)
			}
			if gotText != wantText {
				t.Errorf("result differs from %s\n got: %s\nwant: %s", c.expected, indent(gotText), indent(wantText))
			}
		})
	}
}

// TestCorpusCoversErrors checks the malformed cases the corpus promises.
func TestCorpusCoversErrors(t *testing.T) {
	var names []string
	for _, c := range loadCorpus(t) {
		if c.wantErr {
			names = append(names, c.name)
		}
	}
	for _, want := range []string{
		"errors/unterminated_string", "errors/unterminated_comment", "errors/missing_config",
		"errors/config_not_array", "errors/unbalanced_brackets", "errors/unsupported_function",
		"errors/other_variable",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("corpus lacks %s.err", want)
		}
	}
}

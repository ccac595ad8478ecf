package php

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ListDir returns the names of the files in a directory.
type ListDir func(dir string) ([]string, error)

// Loaded is a configuration read from one or more files.
type Loaded struct {
	// Config is the merged $CONFIG.
	Config *Array
	// Files are the files read, in order.
	Files []string
	// origin is the file that last set each top-level key.
	origin map[Key]string
}

// File is the file whose $CONFIG supplied the top-level key (given as
// text, as for Array.Get), or "" when no file set it. array_merge replaces
// top-level keys whole, so everything under the key comes from that file.
func (l *Loaded) File(key string) string { return l.origin[StringKey(key)] }

// LoadFiles reads Nextcloud's configuration the way Nextcloud does: the
// main config.php, then, with glob, every *.config.php beside it in PHP's
// natsort order, each run with a fresh $CONFIG and merged over the result
// with array_merge semantics (a later file replaces a top-level key whole;
// integer top-level keys are renumbered and appended). Each file has its
// own local variables. OC::$SERVERROOT defaults to the parent of the main
// file's folder.
//
// On error the Loaded returned still lists the files read before the one
// that failed.
func LoadFiles(mainPath string, glob bool, opts Options) (*Loaded, error) {
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	if opts.ListDir == nil {
		opts.ListDir = listFiles
	}
	if opts.ServerRoot == "" {
		opts.ServerRoot = filepath.Join(filepath.Dir(mainPath), "..")
	}
	files := []string{mainPath}
	if glob {
		extra, err := configFilesBeside(mainPath, opts.ListDir)
		if err != nil {
			return &Loaded{}, err
		}
		files = append(files, extra...)
	}
	l := &Loaded{Config: NewArray(), origin: make(map[Key]string)}
	for _, f := range files {
		src, err := opts.ReadFile(f)
		if err != nil {
			return l.failed(), fmt.Errorf("read config file %s: %w", f, err)
		}
		cfg, err := Parse(f, src, opts)
		if err != nil {
			return l.failed(), err
		}
		if err := arrayMerge(l.Config, cfg); err != nil {
			return l.failed(), fmt.Errorf("merge %s: %w", f, err)
		}
		for _, k := range cfg.keys {
			if !k.IsInt() {
				l.origin[k] = f
			}
		}
		l.Files = append(l.Files, f)
	}
	return l, nil
}

// failed is what LoadFiles returns with an error: the files read so far.
func (l *Loaded) failed() *Loaded { return &Loaded{Files: l.Files} }

// configFilesBeside lists the *.config.php files in mainPath's directory:
// first in glob's byte order, then stably in natsort order, as Nextcloud's
// Config::readData does. Dot files are skipped, as glob's "*" does.
func configFilesBeside(mainPath string, listDir ListDir) ([]string, error) {
	dir := filepath.Dir(mainPath)
	names, err := listDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list *.config.php in %s: %w", dir, err)
	}
	var extra []string
	for _, n := range names {
		if strings.HasSuffix(n, ".config.php") && !strings.HasPrefix(n, ".") && n != filepath.Base(mainPath) {
			extra = append(extra, n)
		}
	}
	slices.Sort(extra)
	slices.SortStableFunc(extra, natCompare)
	for i, n := range extra {
		extra[i] = filepath.Join(dir, n)
	}
	return extra, nil
}

func listFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// arrayMerge is PHP's array_merge($dst, $src) done in place.
func arrayMerge(dst, src *Array) error {
	for i, k := range src.keys {
		if k.IsInt() {
			if err := dst.appendAt(src.vals[i], src.at[i]); err != nil {
				return err
			}
			continue
		}
		dst.setAt(k, src.vals[i], src.at[i])
	}
	return nil
}

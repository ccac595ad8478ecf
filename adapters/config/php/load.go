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

// LoadFiles reads Nextcloud's configuration the way Nextcloud does: the
// main config.php, then, with glob, every *.config.php beside it in PHP's
// natsort order, each merged over the result with array_merge semantics
// (a later file replaces a top-level key whole; integer top-level keys are
// renumbered and appended). It returns the merged configuration and the
// files read, in order. Nil env, readFile and listDir mean the process
// environment, os.ReadFile and the directory's non-directory entries.
func LoadFiles(mainPath string, glob bool, env Env, readFile ReadFile, listDir ListDir) (*Array, []string, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	if listDir == nil {
		listDir = listFiles
	}
	files := []string{mainPath}
	if glob {
		extra, err := configFilesBeside(mainPath, listDir)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, extra...)
	}
	merged := NewArray()
	for i, f := range files {
		src, err := readFile(f)
		if err != nil {
			return nil, files[:i], fmt.Errorf("read config file %s: %w", f, err)
		}
		cfg, err := Parse(f, src, env, readFile)
		if err != nil {
			return nil, files[:i], err
		}
		if err := arrayMerge(merged, cfg); err != nil {
			return nil, files[:i], fmt.Errorf("merge %s: %w", f, err)
		}
	}
	return merged, files, nil
}

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
			if err := dst.Append(src.vals[i]); err != nil {
				return err
			}
			continue
		}
		dst.Set(k, src.vals[i])
	}
	return nil
}

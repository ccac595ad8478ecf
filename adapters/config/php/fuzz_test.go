package php

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: any input either parses to a well-formed array no larger than
// the input, or fails with an *Error positioned inside the input; never a
// panic, and the same result twice.
func FuzzParse(f *testing.F) {
	_ = filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".php") {
			if data, err := os.ReadFile(path); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
	for _, s := range []string{
		"", "<?php", "<?php $CONFIG", "$CONFIG=[];", "<?php $CONFIG = [[[[", `<?php $CONFIG = ["\u{`,
		"<?php if (getenv('SET')) { $CONFIG[] = 1; } else if (1) {} else {}",
		"<?php $CONFIG = [getenv('SET')[0] ?? 1 ?: 2, (int) '1e3', -'5', 1 == '1', 'a' . 1.5];",
		"<?php $CONFIG['a'][][] = trim(file_get_contents(getenv('SECRET')));",
		"<?php $a = [1, [2]]; $b = $a; $CONFIG = ['a' => $a, 'b' => $b]; $CONFIG['a'][1][] = 3;",
		"<?php $CONFIG = ['s' => array_values(array_filter(array_map('trim', explode(',', ' a, ,b')), function ($x) { return $x !== ''; }))];",
		"<?php if ($v = getenv('SET')) { $CONFIG['p'] = OC::$SERVERROOT . '/' . strtolower($v); }",
	} {
		f.Add([]byte(s))
	}
	env := mapEnv(map[string]string{"SET": "value", "EMPTY": "", "ZERO": "0", "SECRET": "/s"})
	read := func(path string) ([]byte, error) {
		if path == "/s" {
			return []byte(" secret\n"), nil
		}
		return nil, fs.ErrNotExist
	}
	opts := Options{Env: env, ReadFile: read, ServerRoot: "/srv/nextcloud"}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := Parse("fuzz.php", src, opts)
		cfg2, err2 := Parse("fuzz.php", src, opts)
		if fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("two runs disagree: %v / %v", err, err2)
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			lines := strings.Count(string(src), "\n") + 1
			if pe.File != "fuzz.php" || pe.Line < 1 || pe.Line > lines || pe.Col < 1 || pe.Col > len(src)+1 {
				t.Fatalf("error position out of the input (%d lines): %v", lines, err)
			}
			return
		}
		if cfg == nil {
			t.Fatal("nil config and nil error")
		}
		n, err := checkWellFormed(cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Every literal element needs at least one byte of source; secrets
		// add one; copies and function results are bounded apart.
		if n > len(src)+1+MaxElements {
			t.Fatalf("%d elements from %d bytes", n, len(src))
		}
		a, aerr := canonValue(cfg)
		b, berr := canonValue(cfg2)
		if a != b || fmt.Sprint(aerr) != fmt.Sprint(berr) {
			t.Fatalf("two runs disagree:\n%s\n%s", a, b)
		}
	})
}

// checkWellFormed checks types and the ordered map's invariants and counts
// the elements.
func checkWellFormed(a *Array, depth int) (int, error) {
	if depth > MaxDepth {
		return 0, fmt.Errorf("array nested %d deep", depth)
	}
	if len(a.keys) != len(a.vals) || len(a.keys) != len(a.index) {
		return 0, fmt.Errorf("array bookkeeping out of step: %d keys, %d values, %d indexed", len(a.keys), len(a.vals), len(a.index))
	}
	n := len(a.keys)
	for i, k := range a.keys {
		if a.index[k] != i {
			return 0, fmt.Errorf("key %v indexed at %d, stored at %d", k, a.index[k], i)
		}
		if !k.isInt {
			if _, canon := canonicalInt(k.str); canon {
				return 0, fmt.Errorf("string key %q should be an integer key", k.str)
			}
		}
		switch v := a.vals[i].(type) {
		case nil, bool, int64, float64, string:
		case *Array:
			m, err := checkWellFormed(v, depth+1)
			if err != nil {
				return 0, err
			}
			n += m
		default:
			return 0, fmt.Errorf("value of Go type %T", v)
		}
	}
	return n, nil
}

// FuzzLiterals: any string survives PHP's single- and double-quoted
// literal forms, and any int64 its decimal, hex, octal and binary forms.
func FuzzLiterals(f *testing.F) {
	f.Add("", int64(0))
	f.Add("it's a \\ test $x {$y} \"q\" \x00\xff é 😀", int64(-42))
	f.Add("\u0800\ufffd", int64(math.MaxInt64))
	f.Add("0123", int64(math.MinInt64+1))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		src := fmt.Sprintf("<?php $CONFIG = [%s, %s, %s];", singleQuoted(s), doubleQuoted(s, false), doubleQuoted(s, true))
		cfg, err := Parse("lit.php", []byte(src), Options{Env: mapEnv(nil), ReadFile: fakeFS})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for i, v := range cfg.Values() {
			if v != s {
				t.Fatalf("form %d of %q read back as %q from %s", i, s, v, src)
			}
		}

		abs := uint64(n)
		sign := ""
		if n < 0 {
			abs, sign = uint64(-n), "-"
		}
		forms := []string{
			strconv.FormatUint(abs, 10), "0x" + strconv.FormatUint(abs, 16), "0X" + strings.ToUpper(strconv.FormatUint(abs, 16)),
			"0" + strconv.FormatUint(abs, 8), "0o" + strconv.FormatUint(abs, 8), "0b" + strconv.FormatUint(abs, 2),
			withSeparators(strconv.FormatUint(abs, 10)),
		}
		for _, form := range forms {
			src := "<?php $CONFIG = [" + sign + form + "];"
			cfg, err := Parse("int.php", []byte(src), Options{Env: mapEnv(nil), ReadFile: fakeFS})
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			got, _ := cfg.GetKey(IntKey(0))
			if n == math.MinInt64 {
				// 9223372036854775808 is a float literal in PHP, so its negation is too.
				if f, ok := got.(float64); !ok || f != -twoPow63 {
					t.Fatalf("%s = %#v, want float -2^63", src, got)
				}
				continue
			}
			if got != n {
				t.Fatalf("%s = %#v, want %d", src, got, n)
			}
		}
	})
}

func singleQuoted(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// doubleQuoted writes s with escapes for everything not printable ASCII;
// octal picks \ooo for bytes, unicode picks \u{...} for valid runes.
func doubleQuoted(s string, octal bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		c := s[i]
		switch {
		case c == '\\' || c == '"' || c == '$':
			b.WriteString(`\` + string(c))
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		case octal && r != utf8.RuneError && size > 1:
			fmt.Fprintf(&b, `\u{%X}`, r)
			i += size
			continue
		case octal:
			fmt.Fprintf(&b, `\%03o`, c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
		i++
	}
	b.WriteByte('"')
	return b.String()
}

// withSeparators groups digits by three with "_" as PHP 7.4 allows.
func withSeparators(digits string) string {
	var b strings.Builder
	for i := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte('_')
		}
		b.WriteByte(digits[i])
	}
	return b.String()
}

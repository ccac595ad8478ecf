package php

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"testing"
)

func parseString(t *testing.T, src string, env map[string]string) (*Array, error) {
	t.Helper()
	return Parse("test.php", []byte(src), Options{Env: mapEnv(env), ReadFile: fakeFS, ServerRoot: "/srv/nextcloud"})
}

func TestArrayAPI(t *testing.T) {
	a := NewArray()
	a.Set(StringKey("name"), "nc")
	a.Set(StringKey("5"), "five")
	if err := a.Append("six"); err != nil {
		t.Fatal(err)
	}
	a.Set(StringKey("name"), "replaced")
	if a.Len() != 3 {
		t.Fatalf("Len = %d", a.Len())
	}
	if v, ok := a.Get("name"); !ok || v != "replaced" {
		t.Errorf(`Get("name") = %v, %v`, v, ok)
	}
	if v, ok := a.Get("6"); !ok || v != "six" {
		t.Errorf(`Get("6") = %v, %v: "6" is the integer key 6`, v, ok)
	}
	if k := StringKey("5"); k.Int() != 5 || StringKey("x").Int() != 0 {
		t.Errorf("Int of keys 5 and x = %d, %d", k.Int(), StringKey("x").Int())
	}
	if v, ok := a.GetKey(IntKey(5)); !ok || v != "five" {
		t.Errorf("GetKey(5) = %v, %v", v, ok)
	}
	if _, ok := a.Get("missing"); ok {
		t.Error(`Get("missing") found something`)
	}
	var keys []string
	for _, k := range a.Keys() {
		keys = append(keys, fmt.Sprintf("%v:%s", k.IsInt(), k))
	}
	if got := strings.Join(keys, " "); got != "false:name true:5 true:6" {
		t.Errorf("Keys = %s", got)
	}
	if got := fmt.Sprint(a.Values()); got != "[replaced five six]" {
		t.Errorf("Values = %s", got)
	}
	if m := a.AsMap(); len(m) != 3 || m["5"] != "five" || m["name"] != "replaced" {
		t.Errorf("AsMap = %v", m)
	}
	if a.IsList() {
		t.Error("IsList of a map")
	}
	l := NewArray()
	_ = l.Append("a")
	_ = l.Append("b")
	if !l.IsList() || !NewArray().IsList() {
		t.Error("IsList of a list")
	}

	full := NewArray()
	full.Set(IntKey(math.MaxInt64), "last")
	if err := full.Append("x"); err == nil {
		t.Error("Append after PHP_INT_MAX succeeded")
	}
}

func TestStringKey(t *testing.T) {
	for s, wantInt := range map[string]bool{
		"0": true, "5": true, "-3": true, "9223372036854775807": true, "-9223372036854775808": true,
		"": false, "05": false, "-0": false, "+5": false, " 5": false, "5 ": false, "1.5": false,
		"9223372036854775808": false, "1e3": false, "-": false, "0x1": false,
	} {
		k := StringKey(s)
		if k.IsInt() != wantInt || k.String() != s {
			t.Errorf("StringKey(%q) = int %v %q, want int %v", s, k.IsInt(), k.String(), wantInt)
		}
	}
}

func TestFloatToString(t *testing.T) {
	// PHP 8.2's (string) of each float.
	for f, want := range map[float64]string{
		0.1 + 0.2: "0.3", 1.0 / 3: "0.33333333333333", 123456789012345678.0: "1.2345678901235E+17",
		12345678901234.0: "12345678901234", 99999999999999.99: "1.0E+14", 1e-10: "1.0E-10",
		-1.5: "-1.5", 100.0: "100", 5e-324: "4.9406564584125E-324", 0.1: "0.1", 1.5e300: "1.5E+300",
		0.00012345678901234567: "0.00012345678901235", 999999999999999.0: "1.0E+15", -0.0001: "-0.0001",
		99999999999999.0: "99999999999999", math.Inf(-1): "-INF", math.Inf(1): "INF",
	} {
		if got := floatToString(f); got != want {
			t.Errorf("floatToString(%v) = %q, want %q", f, got, want)
		}
	}
	if got := floatToString(math.NaN()); got != "NAN" {
		t.Errorf("floatToString(NaN) = %q", got)
	}
}

// Bytes that JSON cannot carry: checked here rather than in the corpus.
func TestByteExactStrings(t *testing.T) {
	src := `<?php $CONFIG = ["\xff\x00", "\u{D800}", "\400\1", 'caf\xc3', b"\u{10FFFF}"];`
	cfg, err := parseString(t, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"\xff\x00", "\xed\xa0\x80", "\x00\x01", `caf\xc3`, "\xf4\x8f\xbf\xbf"}
	for i, w := range want {
		if v, _ := cfg.GetKey(IntKey(int64(i))); v != w {
			t.Errorf("element %d = %q, want %q", i, v, w)
		}
	}
}

func TestUntakenCodeIsOnlyLexed(t *testing.T) {
	// What PHP would not run may hold anything that lexes with balanced
	// brackets: here closures, heredocs, backticks, interpolation, unknown
	// functions and variables, and a close tag with inline text.
	dead := `
  $seeds = array_filter(explode(',', "$list"), function ($s) { return $s !== ''; });
  $motd = <<<EOT
  Hello {$name} (
  EOT;
  $out = ` + "`ls -l`" + `;
  ?> inline <?php
  foreach ($seeds as $s) { $CONFIG['seeds'][] = strtolower($s); }
`
	src := "<?php\n$CONFIG = ['a' => 1];\nif (getenv('X')) {" + dead + "} elseif (getenv('Y') && weird($z)) {" + dead + "} else {\n  $CONFIG['b'] = 2;\n}\n"
	cfg, err := parseString(t, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := canonValue(cfg); got != `{"a":1,"b":2}` {
		t.Errorf("config = %s", got)
	}
	_, err = parseString(t, src, map[string]string{"X": "1"})
	if err == nil || err.Error() != "test.php:4:39: unsupported PHP construct: interpolation of $list in a double-quoted string" {
		t.Errorf("taken branch: err = %v", err)
	}
	_, err = parseString(t, src, map[string]string{"Y": "1"})
	if err == nil || err.Error() != "test.php:11:26: unsupported PHP construct: function call weird()" {
		t.Errorf("evaluated elseif: err = %v", err)
	}
}

func TestConfigOnlyOnUntakenBranch(t *testing.T) {
	cfg, err := parseString(t, "<?php if (getenv('UNSET')) { $CONFIG = ['a' => 1]; }", nil)
	if err != nil || cfg == nil || cfg.Len() != 0 {
		t.Errorf("cfg = %v, err = %v; want an empty array", cfg, err)
	}
}

func TestUntakenOperandsAreNotEvaluated(t *testing.T) {
	reads := 0
	read := func(path string) ([]byte, error) {
		reads++
		return nil, fs.ErrNotExist
	}
	src := `<?php $CONFIG = [
		getenv('U') ? file_get_contents('/a') : 'x',
		getenv('S') ?: file_get_contents('/b'),
		getenv('U') && file_get_contents('/c'),
		getenv('S') || file_get_contents('/d'),
		'set' ?? file_get_contents('/e'),
		getenv('U') ? (getenv('S') ? file_get_contents('/f') : 1) : 2,
	];`
	if _, err := Parse("t.php", []byte(src), Options{Env: mapEnv(map[string]string{"S": "1"}), ReadFile: read}); err != nil {
		t.Fatal(err)
	}
	if reads != 0 {
		t.Errorf("%d files read on untaken branches", reads)
	}
}

func TestErrorValues(t *testing.T) {
	_, err := parseString(t, "<?php\n$CONFIG = [\n  'a' => foo(),\n];", nil)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %T %v, want *Error", err, err)
	}
	if pe.File != "test.php" || pe.Line != 3 || pe.Col != 10 || pe.Msg != "unsupported PHP construct: function call foo()" {
		t.Errorf("Error = %+v", *pe)
	}
	if !errors.Is(err, ErrUnsupported) {
		t.Error("unsupported construct does not match ErrUnsupported")
	}
	_, err = parseString(t, "<?php $CONFIG = [;", nil)
	if err == nil || errors.Is(err, ErrUnsupported) {
		t.Errorf("syntax error %v matches ErrUnsupported", err)
	}
	_, err = parseString(t, "<?php $CONFIG = [trim(file_get_contents(getenv('F')))];", map[string]string{"F": "/run/secrets/nope"})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), `"/run/secrets/nope"`) {
		t.Errorf("missing secret: err = %v, want fs.ErrNotExist naming the path", err)
	}
}

func TestUnsupportedConstructs(t *testing.T) {
	for src, want := range map[string]string{
		`$CONFIG = [1 <=> 2];`:                      "operator <=>",
		`$CONFIG = ['a' => 1 < 2];`:                 "operator <",
		`$CONFIG = ['a' => 'x' instanceof Foo];`:    "operator instanceof",
		`$CONFIG = ['a' => 1 and 2];`:               "operator and",
		`$CONFIG = ['a' => ~1];`:                    "operator ~",
		`$CONFIG = new ArrayObject();`:              "unsupported PHP construct: new",
		`$CONFIG = [function () { return 1; }];`:    "closure",
		`$CONFIG = [fn ($x) => 1];`:                 "closure",
		`$CONFIG = ['a' => @getenv('X')];`:          "error suppression operator @",
		`$CONFIG = ['a' => (array) 'x'];`:           "(array) cast",
		`$CONFIG = ['a' => (object) []];`:           "(object) cast",
		`$CONFIG = ['a' => trim('x', 'y')];`:        "trim() with 2 arguments",
		`$CONFIG = ['a' => getenv(name: 'X')];`:     "named argument name:",
		`$CONFIG = [...[1]];`:                       "spread operator ...",
		`$CONFIG = ['a' => &$x];`:                   "reference &",
		`$CONFIG = & $x;`:                           "assignment by reference",
		`$CONFIG = ['a' => \Foo::bar()];`:           `static method call \Foo::bar()`,
		`$CONFIG = ['a' => static::class];`:         "static::class",
		`$CONFIG = ['a' => 'abc'('x')];`:            "call of an expression",
		`$CONFIG = ['a' => getenv('X')->y];`:        "-> access",
		"$CONFIG = ['a' => `ls`];":                  "shell commands in backticks",
		`$CONFIG = ['a' => "${x}"];`:                "interpolation in a double-quoted string",
		`$CONFIG = ['a' => "{$x}"];`:                "interpolation in a double-quoted string",
		`$CONFIG = ['a' => 1]; $CONFIG['a']++;`:     "++ on $CONFIG",
		`$CONFIG = ['a' => 1]; $CONFIG['a'] ??= 2;`: "compound assignment ??=",
		`if (true): $CONFIG = []; endif;`:           "alternative syntax",
		`echo 'x'; $CONFIG = [];`:                   "echo statement",
		`return ['a' => 1]; $CONFIG = [];`:          "return statement",
		`namespace Foo; $CONFIG = [];`:              "namespace statement",
		`#[Attr] function f() {} $CONFIG = [];`:     "attribute",
		`$CONFIG = ['a' => $_ENV['X']];`:            "variable $_ENV is not supported",
		`$CONFIG = ['a' => isset($x)];`:             "function call isset()",
		`$CONFIG = ['a' => PHP_INT_MAX];`:           "constant PHP_INT_MAX",
		`$CONFIG = ['a' => __DIR__ . '/data'];`:     "constant __DIR__",
		`getenv('X'); $CONFIG = [];`:                "function call getenv()",
		`$CONFIG = ['a' => getenv('X', true)];`:     "getenv() with 2 arguments",
	} {
		_, err := parseString(t, "<?php "+src, nil)
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s\n got %v\nwant an ErrUnsupported containing %q", src, err, want)
		}
	}
}

func TestLimits(t *testing.T) {
	ok := func(src string) {
		t.Helper()
		if _, err := parseString(t, src, nil); err != nil {
			t.Errorf("%.40s...: %v", src, err)
		}
	}
	tooDeep := func(src string) {
		t.Helper()
		_, err := parseString(t, src, nil)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("nested deeper than %d levels", MaxDepth)) {
			t.Errorf("%.40s...: err = %v", src, err)
		}
	}
	n := MaxDepth / 2
	ok("<?php $CONFIG = " + strings.Repeat("[", n) + strings.Repeat("]", n) + ";")
	tooDeep("<?php $CONFIG = " + strings.Repeat("[", 10*MaxDepth) + strings.Repeat("]", 10*MaxDepth) + ";")
	tooDeep("<?php $CONFIG = [" + strings.Repeat("(", 10*MaxDepth) + "1" + strings.Repeat(")", 10*MaxDepth) + "];")
	tooDeep("<?php $CONFIG = [" + strings.Repeat("!", 10*MaxDepth) + "1];")
	tooDeep("<?php $CONFIG = [" + strings.Repeat("null ?? ", 10*MaxDepth) + "1];")
	tooDeep("<?php $CONFIG = [" + strings.Repeat("trim(", 10*MaxDepth) + "1" + strings.Repeat(")", 10*MaxDepth) + "];")
	tooDeep("<?php $CONFIG = [];" + strings.Repeat("{", 10*MaxDepth) + strings.Repeat("}", 10*MaxDepth))
	tooDeep("<?php $CONFIG = []; if (false) {" + strings.Repeat("{", 10*MaxDepth) + strings.Repeat("}", 10*MaxDepth) + "}")
	tooDeep("<?php $CONFIG = []; if (false) {} elseif (" + strings.Repeat("(", 10*MaxDepth) + strings.Repeat(")", 10*MaxDepth) + ") {}")

	big := make([]byte, MaxFileSize+1)
	_, err := Parse("big.php", big, Options{Env: mapEnv(nil), ReadFile: fakeFS})
	if err == nil || !strings.HasPrefix(err.Error(), "big.php:1:1: file is") {
		t.Errorf("oversized file: err = %v", err)
	}
	huge := func(string) ([]byte, error) { return make([]byte, MaxFileSize+1), nil }
	_, err = Parse("t.php", []byte(`<?php $CONFIG = [file_get_contents('/x')];`), Options{Env: mapEnv(nil), ReadFile: huge})
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("oversized secret: err = %v", err)
	}
}

func TestParseDefaultsToOS(t *testing.T) {
	t.Setenv("NOTIFY_PUSH_PHP_TEST", "from the process")
	cfg, err := Parse("t.php", []byte(`<?php $CONFIG = ['v' => getenv('NOTIFY_PUSH_PHP_TEST')];`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := cfg.Get("v"); v != "from the process" {
		t.Errorf("v = %v", v)
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{File: "c.php", Line: 2, Col: 7, Msg: "boom"}
	if e.Error() != "c.php:2:7: boom" {
		t.Errorf("Error() = %q", e.Error())
	}
}

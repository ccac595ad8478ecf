package php

import (
	"errors"
	"strings"
	"testing"
)

func TestServerRootMustBeKnown(t *testing.T) {
	_, err := Parse("apps.config.php", []byte("<?php\n$CONFIG = ['p' => OC::$SERVERROOT . '/apps'];"), Options{Env: mapEnv(nil)})
	want := "apps.config.php:2:19: OC::$SERVERROOT: the Nextcloud folder is not known here"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	l, err := LoadFiles("/srv/nc/config/config.php", false, Options{
		ReadFile: memFS{"/srv/nc/config/config.php": `<?php $CONFIG = ['p' => OC::$SERVERROOT];`}.read,
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := l.Config.Get("p"); v != "/srv/nc" {
		t.Errorf("LoadFiles' OC::$SERVERROOT = %v, want the config folder's parent", v)
	}
}

func TestVariablesAreScopedToTheirFile(t *testing.T) {
	fsys := memFS{
		"/nc/config/config.php":   `<?php $host = 'from config.php'; $CONFIG = ['a' => $host];`,
		"/nc/config/b.config.php": `<?php $CONFIG = ['b' => $host ?? 'not visible'];`,
	}
	l, err := LoadFiles("/nc/config/config.php", true, Options{Env: mapEnv(nil), ReadFile: fsys.read, ListDir: fsys.list})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := canonValue(l.Config); got != `{"a":"from config.php","b":"not visible"}` {
		t.Errorf("config = %s", got)
	}
	if l.File("a") != "/nc/config/config.php" || l.File("b") != "/nc/config/b.config.php" || l.File("c") != "" {
		t.Errorf("origins: a %q, b %q, c %q", l.File("a"), l.File("b"), l.File("c"))
	}
}

func TestClosuresSeeOnlyTheirParameters(t *testing.T) {
	src := `<?php $outer = 'x'; $CONFIG = array_map(function ($v) { return $outer ?? $v; }, ['p']);`
	cfg, err := parseString(t, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := canonValue(cfg); got != `{"0":"p"}` {
		t.Errorf("config = %s", got)
	}
	_, err = parseString(t, `<?php $CONFIG = array_map(function ($a, $b) { return $a; }, ['p']);`, nil)
	if err == nil || !strings.Contains(err.Error(), "too few arguments to the closure: 1 passed, 2 expected") {
		t.Errorf("two parameters: err = %v", err)
	}
}

func TestUntakenClosuresAreOnlyLexed(t *testing.T) {
	src := `<?php $CONFIG = ['a' => getenv('UNSET') ? array_map(function (string $s = 'x') use (&$y): string { $z = 1; return $s; }, []) : 'b'];`
	cfg, err := parseString(t, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := cfg.Get("a"); v != "b" {
		t.Errorf("a = %v", v)
	}
}

func TestPositionsOfValues(t *testing.T) {
	src := "<?php\n$CONFIG = array(\n  'dbhost' => 'db',\n  'redis' => ['port' => 'x'],\n);\n$CONFIG['dbport'] =\n  [1];\n$CONFIG['list'] = explode(',', 'a,b');\n"
	cfg, err := parseString(t, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	redis, _ := cfg.Get("redis")
	for _, c := range []struct {
		got  Pos
		want Pos
	}{
		{cfg.Pos("dbhost"), Pos{3, 15}},
		{cfg.Pos("redis"), Pos{4, 14}},
		{redis.(*Array).Pos("port"), Pos{4, 25}},
		{cfg.Pos("dbport"), Pos{7, 3}},
		{cfg.Pos("missing"), Pos{}},
	} {
		if c.got != c.want {
			t.Errorf("Pos = %v, want %v", c.got, c.want)
		}
	}
	list, _ := cfg.Get("list")
	if p := list.(*Array).Pos("0"); p != (Pos{}) {
		t.Errorf("computed element has position %v", p)
	}
}

func TestBudgets(t *testing.T) {
	for name, c := range map[string]struct{ src, want string }{
		"copies": {
			src:  "<?php $a = [1, 1, 1, 1, 1, 1, 1, 1];" + strings.Repeat(" $a = [$a, $a, $a, $a, $a, $a, $a, $a];", 8) + " $CONFIG = [];",
			want: "array elements",
		},
		"strings": {
			src:  "<?php $s = 'xxxxxxxxxxxxxxxx';" + strings.Repeat(" $s = $s . $s;", 40) + " $CONFIG = [];",
			want: "bytes of strings",
		},
		"closures": {
			src:  "<?php $l = explode(',', '" + strings.Repeat(",", 1<<16) + "'); $CONFIG = array_map(function ($x) { return $x; /*" + strings.Repeat(" ", 4096) + "*/ }, $l);",
			want: "closures run more than",
		},
		"explode": {
			src:  "<?php $s = '" + strings.Repeat(",", 1<<12) + "';" + strings.Repeat(" $s = $s . $s;", 9) + " $CONFIG = explode(',', $s);",
			want: "array elements",
		},
	} {
		_, err := parseString(t, c.src, nil)
		var pe *Error
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want an *Error about %s", name, err, c.want)
		}
	}
}

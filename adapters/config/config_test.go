package config

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestPrecedenceFlagsOverEnvOverDotEnv(t *testing.T) {
	env := map[string]string{"PORT": "8000", "DATABASE_PREFIX": "env_", "LOG": "info"}
	dot := map[string]string{"PORT": "9000", "DATABASE_PREFIX": "dot_", "NEXTCLOUD_URL": "https://cloud.example"}
	res, err := Load([]string{"-p", "7000", "--log-level", "debug"}, envOf(env), dot)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Config
	if c.Port != 7000 || res.Sources["port"] != FromFlag {
		t.Errorf("port %d from %s", c.Port, res.Sources["port"])
	}
	if c.DatabasePrefix != "env_" || res.Sources["database-prefix"] != FromEnv {
		t.Errorf("prefix %q from %s", c.DatabasePrefix, res.Sources["database-prefix"])
	}
	if c.NextcloudURL != "https://cloud.example" || res.Sources["nextcloud-url"] != FromDotEnv {
		t.Errorf("nextcloud %q from %s", c.NextcloudURL, res.Sources["nextcloud-url"])
	}
	if c.LogLevel != "debug" {
		t.Errorf("log %q", c.LogLevel)
	}
}

func TestDefaults(t *testing.T) {
	res, err := Load(nil, envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Config
	if c.Port != 7867 || c.Bind != "::" || c.DatabasePrefix != "oc_" || c.LogLevel != "warn" ||
		c.MaxDebounceTime != 15*time.Second || c.MaxConnectionTime != 0 || c.SocketPermissions != 0o660 ||
		c.DebounceDisable || c.Embedded {
		t.Fatalf("defaults: %+v", c)
	}
	if len(c.EmbeddedUsers) != 0 {
		t.Fatalf("embedded users by default: %+v; want none, meaning the demo's own", c.EmbeddedUsers)
	}
	if m := Missing(c); len(m) != 3 {
		t.Fatalf("missing %v", m)
	}
}

func TestEverySettingParses(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": "postgres://u:p@db/nc", "REDIS_URL": "redis://a,redis://b",
		"REDIS_TLS_INSECURE": "1", "REDIS_TLS_DONT_VALIDATE_HOSTNAME": "0",
		"ALLOW_SELF_SIGNED": "true", "NO_ANSI": "1", "USER_AGENT": "push/1",
		"SOCKET_PATH": "/run/push.sock", "SOCKET_PERMISSIONS": "0600",
		"MAX_DEBOUNCE_TIME": "5", "MAX_CONNECTION_TIME": "3600", "DEBOUNCE_DISABLE": "1",
	}
	res, err := Load([]string{"--redis-url", "redis://c", "--redis-url", "redis://d", "--embedded"}, envOf(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Config
	if strings.Join(c.RedisURLs, " ") != "redis://c redis://d" {
		t.Errorf("repeated flag: %v", c.RedisURLs)
	}
	if !c.RedisTLSInsecure || c.RedisTLSDontValidateHostname || !c.AllowSelfSigned || !c.NoANSI || !c.DebounceDisable || !c.Embedded {
		t.Errorf("switches: %+v", c)
	}
	if c.SocketPermissions != 0o600 || c.MaxDebounceTime != 5*time.Second || c.MaxConnectionTime != time.Hour || c.UserAgent != "push/1" {
		t.Errorf("values: %+v", c)
	}
	res, err = Load(nil, envOf(map[string]string{"REDIS_URL": "redis://a, redis://b"}), nil)
	if err != nil || len(res.Config.RedisURLs) != 2 {
		t.Fatalf("comma list: %v %v", res.Config.RedisURLs, err)
	}
}

func TestEveryProblemIsReported(t *testing.T) {
	env := map[string]string{"PORT": "seventy", "MAX_DEBOUNCE_TIME": "-1", "LOG": "notify_push=loud", "REDIS_TLS_INSECURE": "maybe", "SOCKET_PERMISSIONS": "999"}
	_, err := Load(nil, envOf(env), nil)
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{"PORT (environment)", "MAX_DEBOUNCE_TIME", "LOG", "REDIS_TLS_INSECURE", "SOCKET_PERMISSIONS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
}

func TestBadFlagsAndArguments(t *testing.T) {
	for _, args := range [][]string{{"--no-such-flag"}, {"--port"}, {"a.php", "b.php"}, {"--port", "70000"}} {
		if _, err := Load(args, envOf(nil), nil); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	read := func(string) ([]byte, error) { return []byte(`<?php $CONFIG = [];`), nil }
	res, err := LoadWith([]string{"/var/www/nextcloud/config/config.php"}, Options{ReadFile: read})
	if err != nil || res.ConfigFile != "/var/www/nextcloud/config/config.php" {
		t.Fatalf("positional config: %+v %v", res, err)
	}
}

func TestDumpMasksSecrets(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "mysql://nc:s3cret@db:3306/nc", "REDIS_URL": "redis://:r3dis@cache:6379/1"}
	res, err := Load([]string{"--embedded-users", "x:pw-x-secret"}, envOf(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	Dump(&out, res)
	for _, secret := range []string{"s3cret", "r3dis", "pw-x-secret"} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("dump leaks %q:\n%s", secret, out.String())
		}
	}
	for _, want := range []string{"mysql://nc:***@db:3306/nc", "(environment)", "port", "7867", "(default)", "x:***"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dump lacks %q:\n%s", want, out.String())
		}
	}
}

func TestUsageListsEveryEnvName(t *testing.T) {
	var out bytes.Buffer
	Usage(&out)
	for _, s := range settings {
		if s.env != "" && !strings.Contains(out.String(), s.env) {
			t.Errorf("--help lacks %s", s.env)
		}
		if !strings.Contains(out.String(), "--"+s.flag) {
			t.Errorf("--help lacks --%s", s.flag)
		}
	}
}

func TestParseDotEnv(t *testing.T) {
	in := `# comment
DATABASE_URL=sqlite:///tmp/x.db
export PORT = 8080
NEXTCLOUD_URL="https://cloud.example/" # trailing comment
USER_AGENT='single # not a comment'
LOG=debug # comment
EMPTY=
`
	vars, err := ParseDotEnv(".env", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"DATABASE_URL": "sqlite:///tmp/x.db", "PORT": "8080", "NEXTCLOUD_URL": "https://cloud.example/",
		"USER_AGENT": "single # not a comment", "LOG": "debug", "EMPTY": ""}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s = %q, want %q", k, vars[k], v)
		}
	}
	for _, bad := range []string{"NO_EQUALS", "1BAD=x", `Q="unterminated`, `Q='x' y`, "=x"} {
		_, err := ParseDotEnv(".env", strings.NewReader("OK=1\n"+bad+"\n"))
		if err == nil || !strings.Contains(err.Error(), ".env:2") {
			t.Errorf("%q: error %v should name .env:2", bad, err)
		}
	}
}

func TestMaskURL(t *testing.T) {
	tests := map[string]string{
		"postgres://u:pw@h/db":                "postgres://u:***@h/db",
		"redis://h:6379":                      "redis://h:6379",
		"redis+unix:///run/r.sock?password=x": "redis+unix:///run/r.sock?password=***",
		"sqlite:///tmp/a.db":                  "sqlite:///tmp/a.db",
	}
	for in, want := range tests {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseDotEnv(f *testing.F) {
	f.Add("A=1\nexport B='x'\nC=\"y\\n\" # c\n")
	f.Fuzz(func(t *testing.T, in string) {
		vars, err := ParseDotEnv(".env", strings.NewReader(in))
		if err == nil {
			for k := range vars {
				if !validEnvName(k) {
					t.Fatalf("invalid name %q accepted", k)
				}
			}
		}
	})
}

package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Issue 18 items 1 and 2: what upstream 1.4.0 accepts in config.php and in
// its environment variables, read here with upstream's meaning.

func TestEmptyTablePrefixIsNoPrefix(t *testing.T) {
	nc := memFS{"/nc/config/config.php": `<?php $CONFIG = array (
  'dbtype' => 'pgsql', 'dbhost' => 'db', 'dbname' => 'nextcloud', 'dbuser' => 'nc', 'dbpassword' => 'pw',
  'dbtableprefix' => '', 'overwrite.cli.url' => 'https://cloud.example.com',
);`}
	res, err := LoadWith([]string{"/nc/config/config.php"}, nc.options(nil, nil))
	if err != nil {
		t.Fatalf("config.php with an empty dbtableprefix: %v", err)
	}
	if res.Config.DatabasePrefix != "" || res.Sources["database-prefix"] != "config.php" {
		t.Fatalf("prefix %q from %s, want \"\" from config.php", res.Config.DatabasePrefix, res.Sources["database-prefix"])
	}

	// Set and empty is not unset.
	res, err = Load(nil, envOf(map[string]string{"DATABASE_PREFIX": ""}), nil)
	if err != nil || res.Config.DatabasePrefix != "" {
		t.Fatalf("DATABASE_PREFIX=\"\": prefix %q, %v", res.Config.DatabasePrefix, err)
	}
	res, err = Load(nil, envOf(nil), map[string]string{"DATABASE_PREFIX": ""})
	if err != nil || res.Config.DatabasePrefix != "" {
		t.Fatalf(".env DATABASE_PREFIX=: prefix %q, %v", res.Config.DatabasePrefix, err)
	}
	res, err = Load(nil, envOf(nil), nil)
	if err != nil || res.Config.DatabasePrefix != "oc_" {
		t.Fatalf("unset: prefix %q, %v", res.Config.DatabasePrefix, err)
	}
}

func TestMaxDebounceTimeZeroIsOneSecond(t *testing.T) {
	res, err := Load(nil, envOf(map[string]string{"MAX_DEBOUNCE_TIME": "0"}), nil)
	if err != nil || res.Config.MaxDebounceTime != time.Second {
		t.Fatalf("MAX_DEBOUNCE_TIME=0: %v, %v; want 1s", res.Config.MaxDebounceTime, err)
	}
	if _, err := Load(nil, envOf(map[string]string{"MAX_DEBOUNCE_TIME": "-1"}), nil); err == nil {
		t.Fatal("MAX_DEBOUNCE_TIME=-1 accepted: upstream refuses it too")
	}
}

func TestDebounceDisableIsAPresenceFlag(t *testing.T) {
	for _, v := range []string{"1", "true", "0", "false", "no", "", "whatever"} {
		res, err := Load(nil, envOf(map[string]string{"DEBOUNCE_DISABLE": v}), nil)
		if err != nil || !res.Config.DebounceDisable {
			t.Errorf("DEBOUNCE_DISABLE=%q: disabled %v, %v; want debouncing off", v, res.Config.DebounceDisable, err)
			continue
		}
		warned := strings.Contains(strings.Join(res.Warnings, "\n"), "DEBOUNCE_DISABLE")
		if looksFalse := v == "0" || v == "false" || v == "no" || v == ""; warned != looksFalse {
			t.Errorf("DEBOUNCE_DISABLE=%q: warning %v, want %v (%q)", v, warned, looksFalse, res.Warnings)
		}
	}
	res, err := Load(nil, envOf(nil), map[string]string{"DEBOUNCE_DISABLE": "0"})
	if err != nil || !res.Config.DebounceDisable {
		t.Fatalf(".env DEBOUNCE_DISABLE=0: %v, %v", res.Config.DebounceDisable, err)
	}
	res, err = Load(nil, envOf(nil), nil)
	if err != nil || res.Config.DebounceDisable {
		t.Fatalf("unset: debounce disabled %v, %v", res.Config.DebounceDisable, err)
	}
}

func TestBooleanWordsAreOffNotFatal(t *testing.T) {
	for _, name := range []string{"ALLOW_SELF_SIGNED", "NO_ANSI"} {
		for v, want := range map[string]bool{"true": true, "1": true, "false": false, "maybe": false, "enabled": false} {
			res, err := Load(nil, envOf(map[string]string{name: v}), nil)
			if err != nil {
				t.Errorf("%s=%s: %v", name, v, err)
				continue
			}
			got := res.Config.AllowSelfSigned
			if name == "NO_ANSI" {
				got = res.Config.NoANSI
			}
			if got != want {
				t.Errorf("%s=%s: %v, want %v", name, v, got, want)
			}
			if warned := len(res.Warnings) > 0; warned != (v == "maybe" || v == "enabled") {
				t.Errorf("%s=%s: warnings %q", name, v, res.Warnings)
			}
		}
	}
}

func TestSocketPermissionsWithFourDigits(t *testing.T) {
	for v, want := range map[string]fs.FileMode{
		"0660": 0o660,
		"660":  0o660,
		"1770": fs.ModeSticky | 0o770,
		"2770": fs.ModeSetgid | 0o770,
		"0777": 0o777,
	} {
		res, err := Load(nil, envOf(map[string]string{"SOCKET_PERMISSIONS": v}), nil)
		if err != nil || res.Config.SocketPermissions != want {
			t.Errorf("SOCKET_PERMISSIONS=%s: %v, %v; want %v", v, res.Config.SocketPermissions, err, want)
		}
	}
	if _, err := Load(nil, envOf(map[string]string{"SOCKET_PERMISSIONS": "10000"}), nil); err == nil {
		t.Error("SOCKET_PERMISSIONS=10000 accepted")
	}
}

func TestLogSpecsUpstreamTakes(t *testing.T) {
	for _, v := range []string{"", "warn", "notify_push=debug,sqlx=warn", "notify_push::send=debug", "sqlx=warn", "tokio=trace"} {
		res, err := Load(nil, envOf(map[string]string{"LOG": v}), nil)
		if err != nil || res.Config.LogLevel != v {
			t.Errorf("LOG=%q: %q, %v", v, res.Config.LogLevel, err)
		}
	}
}

// TestDotEnvInAParentDirectory is issue 18 item 3: like dotenvy, the .env
// of the nearest directory up from the working directory is read; a folder
// named .env is passed over; a key given twice keeps its first value.
func TestDotEnvInAParentDirectory(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(filepath.Join(deep, ".env"), 0o755); err != nil { // a folder, not the file
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "a", ".env"), []byte("PORT=7000\nLOG=info\nPORT=7001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ".env"), []byte("PORT=9999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(deep)
	vars, err := LoadDotEnv(".env")
	if err != nil {
		t.Fatal(err)
	}
	if vars["PORT"] != "7000" || vars["LOG"] != "info" {
		t.Fatalf("vars %v, want the nearest .env's, first value of PORT", vars)
	}

	t.Chdir(t.TempDir())
	if vars, err := LoadDotEnv(".env.none-anywhere"); err != nil || vars != nil {
		t.Fatalf("no file: %v, %v", vars, err)
	}
}

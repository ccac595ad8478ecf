package config

import (
	"strings"
	"testing"
)

func TestParseSwitch(t *testing.T) {
	for in, want := range map[string]bool{
		"true": true, "TRUE": true, " True ": true, "yes": true, "on": true, "1": true, "2": true, "-1": true,
		"007": true, "+3": true, "99999999999999999999999": true,
		"false": false, "False": false, "no": false, "off": false, "": false, "0": false, "00": false, "-0": false,
	} {
		got, err := parseSwitch(in)
		if err != nil || got != want {
			t.Errorf("parseSwitch(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"maybe", "0x1", "1.0", "--1", "+", "t", "enabled"} {
		if _, err := parseSwitch(bad); err == nil || !strings.Contains(err.Error(), "not a boolean") {
			t.Errorf("parseSwitch(%q) accepted: %v", bad, err)
		}
	}
}

// TestUpstreamSwitchSpellings are the values upstream's documentation and
// deployments use.
func TestUpstreamSwitchSpellings(t *testing.T) {
	res, err := Load(nil, envOf(map[string]string{
		"ALLOW_SELF_SIGNED": "true", "NO_ANSI": "true",
		"REDIS_TLS_INSECURE": "2", "REDIS_TLS_DONT_VALIDATE_HOSTNAME": "1",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Config
	if !c.AllowSelfSigned || !c.NoANSI || !c.RedisTLSInsecure || !c.RedisTLSDontValidateHostname {
		t.Fatalf("switches: %+v", c)
	}
	res, err = Load(nil, envOf(map[string]string{"ALLOW_SELF_SIGNED": "1", "NO_ANSI": "1", "REDIS_TLS_INSECURE": "0"}), nil)
	if err != nil || !res.Config.AllowSelfSigned || !res.Config.NoANSI || res.Config.RedisTLSInsecure {
		t.Fatalf("1/0 spellings: %+v %v", res.Config, err)
	}
}

func TestFollowAppVersionAndCAFileSettings(t *testing.T) {
	res, err := Load(nil, envOf(nil), nil)
	if err != nil || !res.Config.FollowAppVersion || res.Config.NextcloudCAFile != "" {
		t.Fatalf("defaults: follow %v, CA file %q, %v", res.Config.FollowAppVersion, res.Config.NextcloudCAFile, err)
	}
	res, err = Load(nil, envOf(map[string]string{"NOTIFY_PUSH_FOLLOW_APP_VERSION": "false", "NEXTCLOUD_CA_FILE": "/etc/ssl/nc.pem"}), nil)
	if err != nil || res.Config.FollowAppVersion || res.Config.NextcloudCAFile != "/etc/ssl/nc.pem" {
		t.Fatalf("environment: follow %v, CA file %q, %v", res.Config.FollowAppVersion, res.Config.NextcloudCAFile, err)
	}
	res, err = Load([]string{"--follow-app-version=false", "--nextcloud-ca-file", "/x.pem"},
		envOf(map[string]string{"NOTIFY_PUSH_FOLLOW_APP_VERSION": "true"}), nil)
	if err != nil || res.Config.FollowAppVersion || res.Config.NextcloudCAFile != "/x.pem" {
		t.Fatalf("flags: follow %v, CA file %q, %v", res.Config.FollowAppVersion, res.Config.NextcloudCAFile, err)
	}
	if _, err := Load(nil, envOf(map[string]string{"NOTIFY_PUSH_FOLLOW_APP_VERSION": "sometimes"}), nil); err == nil ||
		!strings.Contains(err.Error(), "NOTIFY_PUSH_FOLLOW_APP_VERSION") {
		t.Fatalf("a bad value is not named: %v", err)
	}
}

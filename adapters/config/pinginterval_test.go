package config

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPingInterval(t *testing.T) {
	res, err := Load(nil, envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Config.PingInterval != 30*time.Second || res.Sources["ping-interval"] != FromDefault {
		t.Errorf("default %v from %s, want 30s from the default", res.Config.PingInterval, res.Sources["ping-interval"])
	}
	res, err = Load(nil, envOf(map[string]string{"NOTIFY_PUSH_PING_INTERVAL": "5"}), nil)
	if err != nil || res.Config.PingInterval != 5*time.Second {
		t.Errorf("environment: %v %v", res.Config.PingInterval, err)
	}
	res, err = Load([]string{"--ping-interval", "2"}, envOf(map[string]string{"NOTIFY_PUSH_PING_INTERVAL": "5"}), nil)
	if err != nil || res.Config.PingInterval != 2*time.Second {
		t.Errorf("flag over environment: %v %v", res.Config.PingInterval, err)
	}
	for _, bad := range []string{"0", "-3", "1.5", "soon"} {
		_, err := Load([]string{"--ping-interval", bad}, envOf(nil), nil)
		if err == nil || !strings.Contains(err.Error(), "--ping-interval") {
			t.Errorf("--ping-interval %s: error %v should name the flag", bad, err)
		}
	}
	var help bytes.Buffer
	Usage(&help)
	if !strings.Contains(help.String(), "--ping-interval <value>") || !strings.Contains(help.String(), "env NOTIFY_PUSH_PING_INTERVAL, default 30") {
		t.Errorf("--help does not describe --ping-interval:\n%s", help.String())
	}
}

package soak

import (
	"strings"
	"testing"
)

func TestParseSoakOptions(t *testing.T) {
	o, err := parseOptions(nil)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if o.Conns != 3000 || o.chaosActions() != 4 || len(o.mix) != 4 {
		t.Fatalf("defaults: %+v", o)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--users", "4000"}, "--users"},
		{[]string{"--hang", "10s"}, "--hang"},
		{[]string{"--mix", "shared=1"}, "--shared-every"},
		{[]string{"--duration", "10s"}, "too short"},
		{[]string{"--churn", "1.5"}, "--churn"},
		{[]string{"--ping-interval", "1500ms"}, "--ping-interval"},
		{[]string{"--shared-every", "3s"}, "--shared-every"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		if _, err := parseOptions(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error naming %s", c.args, err, c.want)
		}
	}
}

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
	if o.Conns != 3000 || o.chaosActions() != 5 || o.coldUsers() != 100 || len(o.mix) != 4 {
		t.Fatalf("defaults: %+v", o)
	}
	if o, err := parseOptions([]string{"--db-outage=false"}); err != nil || o.chaosActions() != 4 || o.coldUsers() != 0 {
		t.Fatalf("--db-outage=false: %d outages, %d cold users, %v", o.chaosActions(), o.coldUsers(), err)
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
		{[]string{"--db-down", "0s"}, "--db-down"},
		{[]string{"--db-down", "20s", "--duration", "1m"}, "too short"},
		{[]string{"--db-cold-users", "1001"}, "--db-cold-users"},
		{[]string{"--resync-spread", "1500ms"}, "--resync-spread"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		if _, err := parseOptions(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error naming %s", c.args, err, c.want)
		}
	}
}

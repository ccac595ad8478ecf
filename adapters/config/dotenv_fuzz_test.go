package config

import (
	"maps"
	"sort"
	"strings"
	"testing"
)

// FuzzDotEnvRoundTrip: whatever a .env file parses to, writing those
// variables back as double-quoted values and reading them again gives the
// same variables, so quoting and escapes lose nothing; and an error names
// the file and a line inside it.
func FuzzDotEnvRoundTrip(f *testing.F) {
	f.Add("A=1\nexport B='x y'\nC=\"y\\n\\t\\\\ \\\" z\" # c\n")
	f.Add("DATABASE_URL=postgres://u:p%40ss@db/nc?sslmode=disable\nREDIS_URL=\"redis://:pw@127.0.0.1:6379/0\"\n")
	f.Add("# comment\n\n  export   K = v # trailing\nEMPTY=\nQ=''\nH=a#b\r\n")
	f.Add("BAD LINE\n")
	f.Add("K=\"unterminated\n")
	f.Fuzz(func(t *testing.T, in string) {
		vars, err := ParseDotEnv(".env", strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), ".env:") && !strings.HasPrefix(err.Error(), "read .env") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var out strings.Builder
		keys := make([]string, 0, len(vars))
		for k := range vars {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
		for _, k := range keys {
			out.WriteString(k + `="` + esc.Replace(vars[k]) + "\"\n")
		}
		back, err := ParseDotEnv("again.env", strings.NewReader(out.String()))
		if err != nil {
			t.Fatalf("written back %q: %v", out.String(), err)
		}
		if !maps.Equal(vars, back) {
			t.Fatalf("round trip %q -> %q -> %q", vars, out.String(), back)
		}
	})
}

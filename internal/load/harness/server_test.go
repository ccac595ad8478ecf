package harness

import (
	"strings"
	"testing"
)

func TestParseMetrics(t *testing.T) {
	text := `# TYPE active_connection_count gauge
active_connection_count 19000
# TYPE message_count_total counter
message_count_total 12
message_count_total{type="file"} 10
message_count_total{type="custom"} 2
# TYPE go_goroutines gauge
go_goroutines 19143
`
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if m["active_connection_count"] != 19000 || m["message_count_total"] != 12 || m[`message_count_total{type="file"}`] != 10 ||
		m["go_goroutines"] != 19143 {
		t.Fatalf("%v", m)
	}
	if _, err := parseMetrics(strings.NewReader("not metrics {{{\n")); err == nil {
		t.Fatal("garbage parsed")
	}
}

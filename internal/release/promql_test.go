package release

import (
	"fmt"
	"strings"
	"testing"
)

// selector is one vector selector of a PromQL expression: a metric name and
// its label matchers.
type selector struct {
	metric   string
	matchers []matcher
}

type matcher struct {
	label, op, value string
}

// parsedExpr is what the checks need from an expression: its selectors and
// the label names of its by/without/on/ignoring/group_left/group_right lists.
type parsedExpr struct {
	selectors []selector
	grouping  []string
}

// keywords are PromQL's words that are neither metrics nor functions.
var keywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"inf": true, "nan": true, "by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true,
}

// labelLists are the keywords followed by a parenthesised list of label names.
var labelLists = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// parsePromQL reads just enough PromQL to list the metrics an expression
// selects. It is not a validator (promtool is): it fails only where it
// cannot tell, such as a selector without a metric name.
func parsePromQL(expr string) (parsedExpr, error) {
	var out parsedExpr
	s := expr
	i := 0
	lastMetric := -1 // index in out.selectors of a metric name just read
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'' || c == '`':
			end, err := skipString(s, i)
			if err != nil {
				return out, err
			}
			i = end
			lastMetric = -1
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return out, fmt.Errorf("unclosed { in %q", expr)
			}
			if lastMetric < 0 {
				return out, fmt.Errorf("a selector without a metric name in %q", expr)
			}
			ms, err := parseMatchers(s[i+1 : i+end])
			if err != nil {
				return out, fmt.Errorf("%w in %q", err, expr)
			}
			out.selectors[lastMetric].matchers = ms
			i += end + 1
			lastMetric = -1
		case c == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return out, fmt.Errorf("unclosed [ in %q", expr)
			}
			i += end + 1
			lastMetric = -1
		case c == '$': // a Grafana variable outside a string
			i++
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
			lastMetric = -1
		case isIdentStart(c):
			start := i
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
			word := s[start:i]
			next := i
			for next < len(s) && (s[next] == ' ' || s[next] == '\t' || s[next] == '\n') {
				next++
			}
			lastMetric = -1
			switch {
			case labelLists[word] && next < len(s) && s[next] == '(':
				end := strings.IndexByte(s[next:], ')')
				if end < 0 {
					return out, fmt.Errorf("unclosed %s( in %q", word, expr)
				}
				for _, l := range strings.Split(s[next+1:next+end], ",") {
					if l = strings.TrimSpace(l); l != "" {
						out.grouping = append(out.grouping, l)
					}
				}
				i = next + end + 1
			case keywords[word]:
			case next < len(s) && s[next] == '(',
				strings.HasPrefix(s[next:], "by") || strings.HasPrefix(s[next:], "without"):
				// a function, or an aggregation (sum by (x) (...))
			default:
				out.selectors = append(out.selectors, selector{metric: word})
				lastMetric = len(out.selectors) - 1
			}
		case c >= '0' && c <= '9' || c == '.':
			// numbers and durations: 0.5, 1e3, 5m, 0x1f
			for i < len(s) && (isIdentChar(s[i]) || s[i] == '.') {
				i++
			}
			lastMetric = -1
		default:
			i++
			lastMetric = -1
		}
	}
	return out, nil
}

func skipString(s string, i int) (int, error) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unclosed string in %q", s)
}

// parseMatchers reads `a="x", b=~"y|z"`. Values are not unescaped: the
// checks only look at plain ones.
func parseMatchers(s string) ([]matcher, error) {
	var ms []matcher
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ' ' || s[i] == ',' || s[i] == '\n' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) && isIdentChar(s[i]) {
			i++
		}
		label := s[start:i]
		for i < len(s) && s[i] == ' ' {
			i++
		}
		opStart := i
		for i < len(s) && strings.IndexByte("=!~", s[i]) >= 0 {
			i++
		}
		op := s[opStart:i]
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if label == "" || (op != "=" && op != "!=" && op != "=~" && op != "!~") || i == len(s) || s[i] != '"' && s[i] != '\'' {
			return nil, fmt.Errorf("cannot read the matchers {%s}", s)
		}
		end, err := skipString(s, i)
		if err != nil {
			return nil, err
		}
		ms = append(ms, matcher{label: label, op: op, value: s[i+1 : end-1]})
		i = end
	}
	return ms, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func TestParsePromQL(t *testing.T) {
	for _, tt := range []struct {
		expr     string
		metrics  string // space-separated
		grouping string
		matchers string // label op value, space-separated
		err      bool
	}{
		{expr: `up == 0`, metrics: "up"},
		{expr: `sum by (client) (client_connection_count{job="$job", instance=~"$instance"})`,
			metrics: "client_connection_count", grouping: "client", matchers: `job="$job" instance=~"$instance"`},
		{expr: `sum(rate(a_total{type!=""}[$__rate_interval])) / on(instance) group_left(version) b_info`,
			metrics: "a_total b_info", grouping: "instance version", matchers: `type!=""`},
		{expr: `x and y offset 5m unless z > bool 3`, metrics: "x y z"},
		{expr: `absent(up{job="notify_push"})`, metrics: "up", matchers: `job="notify_push"`},
		{expr: `histogram_quantile(0.9, sum(rate(h_bucket[5m])) by (le))`, metrics: "h_bucket", grouping: "le"},
		{expr: `label_replace(m, "dst", "$1", "src", "(.*){")`, metrics: "m"},
		{expr: "sum without (pod)\n  (rate(c_total{reason=~'a|b'}[1m])) > 1e3", metrics: "c_total", grouping: "pod", matchers: `reason=~"a|b"`},
		{expr: `{__name__="up"}`, err: true},
		{expr: `rate(x[5m]`, metrics: "x"},
		{expr: `x{a="b"`, err: true},
	} {
		got, err := parsePromQL(tt.expr)
		if tt.err {
			if err == nil {
				t.Errorf("%q: no error, want one", tt.expr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.expr, err)
			continue
		}
		var metrics, matchers []string
		for _, s := range got.selectors {
			metrics = append(metrics, s.metric)
			for _, m := range s.matchers {
				matchers = append(matchers, fmt.Sprintf("%s%s%q", m.label, m.op, m.value))
			}
		}
		if g := strings.Join(metrics, " "); g != tt.metrics {
			t.Errorf("%q: metrics %q, want %q", tt.expr, g, tt.metrics)
		}
		if g := strings.Join(got.grouping, " "); g != tt.grouping {
			t.Errorf("%q: grouping labels %q, want %q", tt.expr, g, tt.grouping)
		}
		if g := strings.Join(matchers, " "); g != tt.matchers {
			t.Errorf("%q: matchers %q, want %q", tt.expr, g, tt.matchers)
		}
	}
}

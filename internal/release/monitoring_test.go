package release

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// notYetExported are series the dashboard and the alerts may use before the
// server exports them, each named until the change that adds it lands (the
// test says when). Empty: resyncs and abusive-client disconnects, the last
// two, are exported now.
var notYetExported = map[string]bool{}

// prometheusOwn are the series Prometheus records itself for every target.
var prometheusOwn = map[string]bool{"up": true}

// targetLabels are the labels Prometheus attaches to every scraped series.
var targetLabels = map[string]bool{"job": true, "instance": true}

// exported maps each metric name the server exports to its labels and
// their values.
type exported map[string]map[string]map[string]bool

// TestDashboardAndAlertsUseExportedMetrics scrapes a running server and
// checks every metric, label and plain label value the Grafana dashboard
// and the alerting rules use: a renamed series or a misspelt reason would
// otherwise leave a panel empty or an alert silent.
func TestDashboardAndAlertsUseExportedMetrics(t *testing.T) {
	root := repoRoot(t)
	exprs := dashboardExprs(t, filepath.Join(root, "contrib", "grafana", "notify_push.json"))
	for name, e := range alertExprs(t, filepath.Join(root, "contrib", "prometheus", "alerts.yml")) {
		exprs["alert "+name] = e
	}
	srv := startEmbedded(t, nil, []string{serverBinary(t)}, true, 30*time.Second)
	have := scrape(t, "http://"+srv.MetricsAddr+"/metrics")

	used := map[string]bool{}
	for where, expr := range exprs {
		p, err := parsePromQL(expr)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		if len(p.selectors) == 0 {
			t.Errorf("%s selects no metric: %s", where, expr)
		}
		labels := map[string]bool{}
		known := true // whether every metric's labels are known
		for _, s := range p.selectors {
			used[s.metric] = true
			exp, ok := have[s.metric]
			switch {
			case ok:
				for l := range exp {
					labels[l] = true
				}
				checkMatchers(t, where, s, exp)
			case notYetExported[s.metric] || prometheusOwn[s.metric]:
				known = false
			default:
				t.Errorf("%s uses %s, which the server does not export: %s", where, s.metric, expr)
				known = false
			}
		}
		for _, l := range p.grouping {
			if known && !labels[l] && !targetLabels[l] {
				t.Errorf("%s groups by %q, a label none of its series has: %s", where, l, expr)
			}
		}
	}
	for name := range notYetExported {
		if _, ok := have[name]; ok {
			t.Errorf("the server exports %s now: remove it from notYetExported", name)
		}
		if !used[name] {
			t.Errorf("%s is in notYetExported but nothing uses it", name)
		}
	}
}

// checkMatchers: each label matched exists on the series, and each plain
// value (a, or a|b|c) is one the server exports.
func checkMatchers(t *testing.T, where string, s selector, exp map[string]map[string]bool) {
	t.Helper()
	plain := regexp.MustCompile(`^[A-Za-z0-9_]+(\|[A-Za-z0-9_]+)*$`)
	for _, m := range s.matchers {
		if targetLabels[m.label] {
			continue
		}
		values, ok := exp[m.label]
		if !ok {
			t.Errorf("%s matches %s on label %q, which %s does not have", where, s.metric, m.label, s.metric)
			continue
		}
		if !plain.MatchString(m.value) {
			continue
		}
		for _, v := range strings.Split(m.value, "|") {
			if !values[v] {
				t.Errorf("%s matches %s{%s%s%q}, but %q is not a value of %s (have %v)",
					where, s.metric, m.label, m.op, m.value, v, m.label, slices.Sorted(maps.Keys(values)))
			}
		}
	}
}

// scrape reads a /metrics page into metric → label → values. Summaries and
// histograms also answer to their _sum, _count and _bucket series.
func scrape(t *testing.T, url string) exported {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	out := exported{}
	add := func(name string, m *dto.Metric, extra ...string) {
		if out[name] == nil {
			out[name] = map[string]map[string]bool{}
		}
		for _, l := range m.GetLabel() {
			if out[name][l.GetName()] == nil {
				out[name][l.GetName()] = map[string]bool{}
			}
			out[name][l.GetName()][l.GetValue()] = true
		}
		for _, l := range extra {
			if out[name][l] == nil {
				out[name][l] = map[string]bool{}
			}
		}
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			add(name, m)
			switch f.GetType() {
			case dto.MetricType_SUMMARY:
				add(name+"_sum", m)
				add(name+"_count", m)
				add(name, m, "quantile")
			case dto.MetricType_HISTOGRAM:
				add(name+"_sum", m)
				add(name+"_count", m)
				add(name+"_bucket", m, "le")
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s exports nothing", url)
	}
	return out
}

// grafanaDashboard is the part of a dashboard's JSON the checks read.
type grafanaDashboard struct {
	Panels     []grafanaPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type grafanaPanel struct {
	Title   string         `json:"title"`
	Type    string         `json:"type"`
	Panels  []grafanaPanel `json:"panels"` // of a collapsed row
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

// dashboardExprs returns the PromQL of every panel target and of the
// label_values() template queries, keyed by where it is.
func dashboardExprs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	exprs := map[string]string{}
	var walk func([]grafanaPanel)
	walk = func(panels []grafanaPanel) {
		for _, p := range panels {
			walk(p.Panels)
			if p.Type == "row" || p.Type == "text" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("panel %q, query %s: empty", p.Title, tg.RefID)
				}
				exprs[fmt.Sprintf("panel %q query %s", p.Title, tg.RefID)] = tg.Expr
			}
		}
	}
	walk(d.Panels)
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*[A-Za-z_]+\)$`)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(map[string]any)
		s, _ := q["query"].(string)
		m := labelValues.FindStringSubmatch(s)
		if m == nil {
			t.Errorf("variable %s: want a label_values(series, label) query, have %v", v.Name, v.Query)
			continue
		}
		exprs["variable "+v.Name] = m[1]
	}
	if len(exprs) < 10 {
		t.Fatalf("%s: only %d queries found", path, len(exprs))
	}
	return exprs
}

// alertExprs reads the rules' expressions from alerts.yml: single-line ones
// and block scalars (expr: |). Every alert must yield one.
func alertExprs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	alertLine := regexp.MustCompile(`^\s*- alert:\s*(\S+)\s*$`)
	exprLine := regexp.MustCompile(`^(\s*)expr:\s*(.*)$`)
	out := map[string]string{}
	alerts := 0
	current := ""
	for i := 0; i < len(lines); i++ {
		if m := alertLine.FindStringSubmatch(lines[i]); m != nil {
			current = m[1]
			alerts++
			continue
		}
		m := exprLine.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		expr := m[2]
		if expr == "|" || expr == "|-" || expr == ">" || expr == ">-" {
			var block []string
			for i+1 < len(lines) && (strings.TrimSpace(lines[i+1]) == "" || indent(lines[i+1]) > len(m[1])) {
				i++
				block = append(block, lines[i])
			}
			expr = strings.Join(block, "\n")
		}
		if current == "" {
			t.Fatalf("%s:%d: an expr outside an alert", path, i+1)
		}
		out[current] = strings.TrimSpace(expr)
	}
	if alerts == 0 || len(out) != alerts {
		t.Fatalf("%s: %d alerts but %d expressions read", path, alerts, len(out))
	}
	return out
}

func indent(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// TestAlertRulesPassPromtool: promtool accepts the rules and their unit
// tests (contrib/prometheus/alerts_test.yml) pass.
func TestAlertRulesPassPromtool(t *testing.T) {
	promtool := needTool(t, "promtool", "prometheus")
	dir := filepath.Join(repoRoot(t), "contrib", "prometheus")
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestDashboardQueriesParse: every panel's query is valid PromQL once
// Grafana's variables are filled in, checked by promtool as recording rules.
func TestDashboardQueriesParse(t *testing.T) {
	promtool := needTool(t, "promtool", "prometheus")
	exprs := dashboardExprs(t, filepath.Join(repoRoot(t), "contrib", "grafana", "notify_push.json"))
	fill := strings.NewReplacer("$__rate_interval", "1m", "$job", "notify_push", "$instance", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for _, where := range slices.Sorted(maps.Keys(exprs)) {
		q, err := json.Marshal(fill.Replace(exprs[where])) // a JSON string is a YAML string
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&rules, "      - record: dashboard:query\n        expr: %s\n", q)
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules (the dashboard's queries): %v\n%s", err, out)
	}
}

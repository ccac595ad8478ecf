// Command dashboardplot draws contrib/grafana/notify_push.json the way
// Grafana would show it, for docs/deployment.md, where Grafana cannot be
// installed: it runs every panel's query against a Prometheus over a time
// range (its HTTP API, Grafana's variables filled in) and lays the panels out
// by their grid positions in one PNG, drawn by gnuplot. Panels whose series
// do not exist say "No data", as Grafana does.
//
//	dashboardplot -prometheus http://127.0.0.1:9090 -start 1700000000 -end 1700000600 -out dashboard.png
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "dashboardplot: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	dashboard, prometheus, out, job, rateInterval string
	start, end                                    int64
	step                                          time.Duration
	width                                         int
	trim                                          bool
}

func run(ctx context.Context, args []string, log io.Writer) error {
	var o options
	fs := flag.NewFlagSet("dashboardplot", flag.ContinueOnError)
	fs.StringVar(&o.dashboard, "dashboard", "contrib/grafana/notify_push.json", "the Grafana dashboard")
	fs.StringVar(&o.prometheus, "prometheus", "http://127.0.0.1:9090", "base URL of the Prometheus to query")
	fs.StringVar(&o.out, "out", "dashboard.png", "the PNG to write")
	fs.StringVar(&o.job, "job", "notify_push", "value of the $job variable")
	fs.StringVar(&o.rateInterval, "rate-interval", "10s", "value of $__rate_interval")
	fs.Int64Var(&o.start, "start", 0, "start of the range, Unix seconds")
	fs.Int64Var(&o.end, "end", 0, "end of the range, Unix seconds")
	fs.DurationVar(&o.step, "step", 2*time.Second, "resolution of the range queries")
	fs.IntVar(&o.width, "width", 1800, "width of the picture in pixels")
	fs.BoolVar(&o.trim, "trim", true, "narrow the range to when up{job} was 1, so the picture shows the server running")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.start <= 0 || o.end <= o.start {
		return errors.New("-start and -end (Unix seconds, start before end) are required")
	}
	b, err := os.ReadFile(o.dashboard)
	if err != nil {
		return err
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("read %s: %w", o.dashboard, err)
	}
	work, err := os.MkdirTemp("", "dashboardplot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	fill := strings.NewReplacer("$__rate_interval", o.rateInterval, "$job", o.job, "$instance", ".*")
	client := &http.Client{Timeout: 30 * time.Second}
	if o.trim {
		if err := trimToUp(ctx, client, &o); err != nil {
			return err
		}
	}
	var drawn []drawnPanel
	for _, p := range d.Panels {
		dp := drawnPanel{panel: p}
		for _, tg := range p.Targets {
			series, err := queryRange(ctx, client, o, fill.Replace(tg.Expr))
			if err != nil {
				return fmt.Errorf("panel %q: %w", p.Title, err)
			}
			for _, s := range series {
				s.legend = legend(tg.LegendFormat, s.labels)
				file := filepath.Join(work, fmt.Sprintf("p%d-%d.dat", p.ID, len(dp.series)))
				if err := writeSeries(file, s.points); err != nil {
					return err
				}
				s.file = file
				dp.series = append(dp.series, s)
			}
		}
		fmt.Fprintf(log, "%-55s %d series\n", p.Title, len(dp.series))
		drawn = append(drawn, dp)
	}
	script := gnuplotScript(drawn, o)
	scriptFile := filepath.Join(work, "dashboard.gp")
	if err := os.WriteFile(scriptFile, []byte(script), 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "gnuplot", scriptFile)
	cmd.Stderr = log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("gnuplot: %w", err)
	}
	return nil
}

type dashboard struct {
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID          int                      `json:"id"`
	Type        string                   `json:"type"`
	Title       string                   `json:"title"`
	GridPos     struct{ X, Y, W, H int } `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit   string `json:"unit"`
			Custom struct {
				Stacking struct {
					Mode string `json:"mode"`
				} `json:"stacking"`
			} `json:"custom"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
}

type series struct {
	labels map[string]string
	points [][2]float64 // unix seconds, value
	legend string
	file   string
}

type drawnPanel struct {
	panel  panel
	series []series
}

// queryRange asks Prometheus's /api/v1/query_range for expr over the range.
func queryRange(ctx context.Context, client *http.Client, o options, expr string) ([]series, error) {
	q := url.Values{
		"query": {expr},
		"start": {strconv.FormatInt(o.start, 10)},
		"end":   {strconv.FormatInt(o.end, 10)},
		"step":  {strconv.FormatFloat(o.step.Seconds(), 'f', -1, 64)},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(o.prometheus, "/")+"/api/v1/query_range?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", expr, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("query %s: %w", expr, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", expr, body.Error)
	}
	var out []series
	for _, r := range body.Data.Result {
		s := series{labels: r.Metric}
		for _, v := range r.Values {
			ts, _ := v[0].(float64)
			str, _ := v[1].(string)
			f, err := strconv.ParseFloat(str, 64)
			if err != nil {
				return nil, fmt.Errorf("query %s: value %v: %w", expr, v[1], err)
			}
			s.points = append(s.points, [2]float64{ts, f})
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b series) int { return strings.Compare(fmt.Sprint(a.labels), fmt.Sprint(b.labels)) })
	return out, nil
}

// trimToUp narrows the range to the first and last samples in which the
// job's up series is 1: a load run starts before the server and stops it at
// its end, and the stat panels show the last value.
func trimToUp(ctx context.Context, client *http.Client, o *options) error {
	ups, err := queryRange(ctx, client, *o, fmt.Sprintf("max(up{job=%q})", o.job))
	if err != nil {
		return fmt.Errorf("find when the server was up: %w", err)
	}
	first, last := 0.0, 0.0
	for _, s := range ups {
		for _, p := range s.points {
			if p[1] == 1 {
				if first == 0 {
					first = p[0]
				}
				last = p[0]
			}
		}
	}
	if last == 0 {
		return fmt.Errorf("up{job=%q} was never 1 from %d to %d", o.job, o.start, o.end)
	}
	o.start, o.end = int64(first-o.step.Seconds()), int64(last)
	return nil
}

var legendVar = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// legend renders a Grafana legend format such as "failed: {{reason}}".
func legend(format string, labels map[string]string) string {
	if format == "" {
		return "value"
	}
	return legendVar.ReplaceAllStringFunc(format, func(m string) string {
		return labels[legendVar.FindStringSubmatch(m)[1]]
	})
}

func writeSeries(path string, points [][2]float64) error {
	var b strings.Builder
	for _, p := range points {
		fmt.Fprintf(&b, "%.0f %g\n", p[0], p[1])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

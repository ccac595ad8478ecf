package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLegend(t *testing.T) {
	labels := map[string]string{"reason": "timeout", "instance": "a:7868"}
	for format, want := range map[string]string{
		"failed: {{reason}}":          "failed: timeout",
		"{{ instance }} / {{reason}}": "a:7868 / timeout",
		"authenticated":               "authenticated",
		"{{missing}}":                 "",
		"":                            "value",
	} {
		if got := legend(format, labels); got != want {
			t.Errorf("legend(%q) = %q, want %q", format, got, want)
		}
	}
}

// TestStackSeries: each band starts where the series below it ends, at
// each timestamp, whatever order the points came in.
func TestStackSeries(t *testing.T) {
	dir := t.TempDir()
	ss := []series{
		{points: [][2]float64{{20, 2}, {10, 1}}, file: filepath.Join(dir, "a.dat")},
		{points: [][2]float64{{10, 5}, {20, 7}}, file: filepath.Join(dir, "b.dat")},
	}
	files := stackSeries(ss)
	want := []string{"10 0 1\n20 0 2\n", "10 1 6\n20 2 9\n"}
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want[i] {
			t.Errorf("band %d:\n%s\nwant:\n%s", i, b, want[i])
		}
	}
}

// TestGnuplotScriptLaysOutPanels: panels land at their grid positions, an
// empty panel says "No data", a stat panel its last value in its unit.
func TestGnuplotScriptLaysOutPanels(t *testing.T) {
	var stat, empty panel
	stat.Type, stat.Title = "stat", "Memory per connection"
	stat.GridPos.W, stat.GridPos.H = 12, 4
	stat.FieldConfig.Defaults.Unit = "bytes"
	empty.Type, empty.Title = "timeseries", "Resyncs"
	empty.GridPos.X, empty.GridPos.Y, empty.GridPos.W, empty.GridPos.H = 12, 0, 12, 4
	script := gnuplotScript([]drawnPanel{
		{panel: stat, series: []series{{points: [][2]float64{{1, 1024}, {2, 30720}}}}},
		{panel: empty},
	}, options{out: "x.png", job: "notify_push", rateInterval: "5s", start: 1, end: 2, width: 1000})
	for _, want := range []string{
		"set origin 0.000000,", "set origin 0.500000,", `"30 KiB"`, "'No data'", "set output \"x.png\"",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks %q:\n%s", want, script)
		}
	}
}

package main

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"
)

// rowPixels is the height of one grid row, as Grafana draws it.
const rowPixels = 30

// Grafana's classic palette, in its order.
var palette = []string{"#73BF69", "#F2CC0C", "#5794F2", "#FF780A", "#F2495C", "#B877D9", "#37872D", "#C4162A", "#1F60C4", "#8F3BB8", "#FADE2A"}

// gnuplotScript lays the panels out by their gridPos (24 columns) and draws
// each: stat panels as their last value, time series as lines (stacked
// ones as stacked areas), in the panel's unit.
func gnuplotScript(panels []drawnPanel, o options) string {
	rows := 0
	for _, p := range panels {
		rows = max(rows, p.panel.GridPos.Y+p.panel.GridPos.H)
	}
	const header = 40
	height := header + rows*rowPixels
	var b strings.Builder
	fmt.Fprintf(&b, "set terminal pngcairo size %d,%d noenhanced font 'DejaVu Sans,9' background rgb '#ffffff'\n", o.width, height)
	fmt.Fprintf(&b, "set output %q\n", o.out)
	fmt.Fprintf(&b, "set multiplot\n")
	span := fmt.Sprintf("%s to %s UTC", time.Unix(o.start, 0).UTC().Format("2006-01-02 15:04:05"), time.Unix(o.end, 0).UTC().Format("15:04:05"))
	for i, p := range panels {
		g := p.panel.GridPos
		x := float64(g.X) / 24
		w := float64(g.W) / 24
		y := 1 - float64(header+(g.Y+g.H)*rowPixels)/float64(height)
		h := float64(g.H*rowPixels) / float64(height)
		fmt.Fprintf(&b, "\n# %s\nreset session\nset timefmt '%%s'\nset style fill transparent solid 0.35 noborder\n", p.panel.Title)
		b.WriteString("set grid ytics lc rgb '#dddddd'\nset border 3 lc rgb '#888888'\nset tics nomirror\n")
		fmt.Fprintf(&b, "set origin %f,%f\nset size %f,%f\n", x, y, w*0.995, h*0.97)
		fmt.Fprintf(&b, "set title %q font ',11' offset 0,-0.5\n", p.panel.Title)
		if i == 0 { // the heading, drawn with the first panel
			fmt.Fprintf(&b, "set label 1000 %q at screen 0.01,%f left font ',13'\n",
				"notify_push dashboard (contrib/grafana/notify_push.json): "+span+", job="+o.job+", $__rate_interval="+o.rateInterval,
				1-float64(header/2)/float64(height))
		}
		switch {
		case p.panel.Type == "stat":
			writeStat(&b, p)
		case len(p.series) == 0:
			b.WriteString("unset border\nunset tics\nunset key\nset xrange [0:1]\nset yrange [0:1]\n")
			b.WriteString("set label 1 'No data' at graph 0.5,0.5 center font ',14' tc rgb '#999999'\nplot 2 notitle\n")
		default:
			writeTimeSeries(&b, p, o)
		}
	}
	b.WriteString("unset multiplot\n")
	return b.String()
}

func writeStat(b *strings.Builder, p drawnPanel) {
	b.WriteString("unset border\nunset tics\nunset key\nset xrange [0:1]\nset yrange [0:1]\n")
	text := "No data"
	if len(p.series) > 0 {
		if v, ok := last(p.series[0].points); ok {
			text = formatValue(v, p.panel.FieldConfig.Defaults.Unit)
		}
	}
	fmt.Fprintf(b, "set label 1 %q at graph 0.5,0.4 center font ',26' tc rgb '#37872D'\nplot 2 notitle\n", text)
}

func writeTimeSeries(b *strings.Builder, p drawnPanel, o options) {
	unit := p.panel.FieldConfig.Defaults.Unit
	scale := 1.0
	switch unit {
	case "bytes":
		b.WriteString("set format y '%.0b %BB'\n")
	case "ops":
		b.WriteString("set format y '%.1s%c/s'\n")
	case "percentunit":
		scale = 100
		b.WriteString("set format y '%.0f%%'\n")
	default:
		b.WriteString("set format y '%.0s%c'\n")
	}
	timeFormat := "%H:%M"
	if o.end-o.start < 1200 {
		timeFormat = "%H:%M:%S"
	}
	fmt.Fprintf(b, "set xdata time\nset format x '%s'\nset key outside bottom center horizontal maxcols 3 samplen 2 font ',8'\n", timeFormat)
	fmt.Fprintf(b, "set xrange ['%d':'%d']\nset yrange [0:*]\n", o.start, o.end)
	stacked := p.panel.FieldConfig.Defaults.Custom.Stacking.Mode == "normal"
	var plots []string
	if stacked {
		files := stackSeries(p.series)
		for i, s := range p.series {
			c := palette[i%len(palette)]
			plots = append(plots,
				fmt.Sprintf("'%s' using 1:($2*%g):($3*%g) with filledcurves lc rgb '%s' notitle", files[i], scale, scale, c),
				fmt.Sprintf("'%s' using 1:($3*%g) with lines lw 1.2 lc rgb '%s' title %q", files[i], scale, c, s.legend))
		}
	} else {
		for i, s := range p.series {
			plots = append(plots, fmt.Sprintf("'%s' using 1:($2*%g) with lines lw 1.5 lc rgb '%s' title %q",
				s.file, scale, palette[i%len(palette)], s.legend))
		}
	}
	fmt.Fprintf(b, "plot %s\n", strings.Join(plots, ", \\\n  "))
}

// stackSeries writes, for each series, time, the sum of the series below
// it and that sum plus its own value: the band a stacked graph fills.
func stackSeries(ss []series) []string {
	below := map[float64]float64{}
	files := make([]string, len(ss))
	for i, s := range ss {
		var b strings.Builder
		pts := append([][2]float64(nil), s.points...)
		sort.Slice(pts, func(a, c int) bool { return pts[a][0] < pts[c][0] })
		for _, pt := range pts {
			lo := below[pt[0]]
			fmt.Fprintf(&b, "%.0f %g %g\n", pt[0], lo, lo+pt[1])
			below[pt[0]] = lo + pt[1]
		}
		files[i] = strings.TrimSuffix(s.file, ".dat") + ".stacked"
		// A write error shows as a missing band in the picture and gnuplot's complaint.
		_ = os.WriteFile(files[i], []byte(b.String()), 0o644)
	}
	return files
}

func last(points [][2]float64) (float64, bool) {
	for i := len(points) - 1; i >= 0; i-- {
		if !math.IsNaN(points[i][1]) {
			return points[i][1], true
		}
	}
	return 0, false
}

func formatValue(v float64, unit string) string {
	switch unit {
	case "bytes":
		for _, u := range []string{"B", "KiB", "MiB", "GiB"} {
			if math.Abs(v) < 1024 || u == "GiB" {
				return fmt.Sprintf("%.3g %s", v, u)
			}
			v /= 1024
		}
	case "percentunit":
		return fmt.Sprintf("%.0f%%", v*100)
	}
	return fmt.Sprintf("%.4g", v)
}

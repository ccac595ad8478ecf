package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Truncate cuts s to n bytes, marking the cut with an ellipsis.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Dash stands for an empty figure in a table.
func Dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// KiB writes bytes (a fraction, such as a per-connection cost) in KiB.
func KiB(v float64) string { return fmt.Sprintf("%.2f KiB", v/1024) }

// MiB writes bytes in MiB.
func MiB(v uint64) string { return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20)) }

// Micros writes a latency given in microseconds, in µs below one millisecond.
func Micros(us uint64) string {
	switch {
	case us < 1000:
		return fmt.Sprintf("%d µs", us)
	case us < 10_000:
		return fmt.Sprintf("%.2f ms", float64(us)/1000)
	default:
		return fmt.Sprintf("%.0f ms", float64(us)/1000)
	}
}

// Ratio writes a/b as a factor, or a dash when b is zero.
func Ratio(a, b float64) string {
	if b == 0 || math.IsNaN(a/b) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// Count writes a rate with thousands separators.
func Count(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Bytes writes a size in B, KiB or MiB; a negative size is unknown.
func Bytes(v int64) string {
	switch {
	case v < 0:
		return "—"
	case v < 1<<10:
		return fmt.Sprintf("%d B", v)
	case v < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(v)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20))
	}
}

// Total sums the counts of m.
func Total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Tally writes counts by reason, "n× reason" sorted, three at most,
// after lead; nothing when there are none.
func Tally(lead string, m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for reason, n := range m {
		parts = append(parts, fmt.Sprintf("%d× %s", n, reason))
	}
	sort.Strings(parts)
	if len(parts) > 3 {
		parts = append(parts[:3], "…")
	}
	return lead + strings.Join(parts, "; ")
}

// SignedMiB writes a growth in MiB with its sign.
func SignedMiB(v float64) string { return fmt.Sprintf("%+.2f MiB", v/(1<<20)) }

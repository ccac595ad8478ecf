package report

import (
	"testing"
)

func TestFormatting(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 43616.4: "43,616", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := Count(in); got != want {
			t.Errorf("count(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[uint64]string{512: "512 µs", 1500: "1.50 ms", 326_000: "326 ms"} {
		if got := Micros(in); got != want {
			t.Errorf("ms(%d) = %q, want %q", in, got, want)
		}
	}
	if got := Ratio(1, 0); got != "—" {
		t.Errorf("ratio to zero: %q", got)
	}
}

package soak

import (
	"testing"
)

func TestSpreadIsEvenInEveryPrefix(t *testing.T) {
	for _, n := range []int{20, 50, 1000, 3000} {
		churn, listen, both := 0, 0, 0
		for i := range n {
			c, l := spread(i, churnAlpha, 0.3), spread(i, listenAlpha, 0.5)
			if c {
				churn++
			}
			if l {
				listen++
			}
			if c && l {
				both++
			}
		}
		// A Weyl sequence is off by O(log n) at most: 2 for these n.
		if d := float64(churn) - 0.3*float64(n); d > 2 || d < -2 {
			t.Errorf("%d slots: %d churn", n, churn)
		}
		if d := float64(listen) - 0.5*float64(n); d > 2 || d < -2 {
			t.Errorf("%d slots: %d listen", n, listen)
		}
		if both == 0 || both == churn {
			t.Errorf("%d slots: %d churn, %d of them listen: the choices are not independent", n, churn, both)
		}
	}
}

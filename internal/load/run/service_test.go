package run

import (
	"reflect"
	"testing"

	"github.com/notifypush/notify_push/internal/load/harness"
)

// Every user of a range lands on exactly one server of a service, the one
// its residue names, and a server alone takes the residue-0 users only.
func TestServiceSharesUsersByResidue(t *testing.T) {
	three := newService(3, &harness.Server{}, &harness.Server{}, &harness.Server{})
	for _, r := range [][2]int{{0, 100}, {100, 10}, {7, 1}, {8, 0}, {101, 5}} {
		first, count := r[0], r[1]
		seen := map[int]int{}
		for i := range three.servers {
			start, n := three.share(i, first, count)
			for k := range n {
				u := start + k*3
				if u < first || u >= first+count || three.owner(u) != i {
					t.Fatalf("share(%d, %d, %d) gives user %d", i, first, count, u)
				}
				seen[u]++
			}
		}
		if len(seen) != count {
			t.Errorf("[%d, %d): %d users placed", first, first+count, len(seen))
		}
		for u, k := range seen {
			if k != 1 {
				t.Errorf("user %d placed %d times", u, k)
			}
		}
	}
	alone := newService(3, &harness.Server{})
	if start, n := alone.share(0, 100, 10); start != 102 || n != 3 { // 102, 105, 108
		t.Errorf("alone: start %d, %d users", start, n)
	}
	if alone.owner(4) != -1 || alone.owner(6) != 0 {
		t.Error("alone serves the residue-0 users only")
	}
	if one := newService(1, &harness.Server{}); one.owner(12345) != 0 {
		t.Error("a lone server with stride 1 serves everyone")
	}
	if got := workerSlots(2, 3); !reflect.DeepEqual(got, [][]int{{0, 1, 2}, {3, 4, 5}}) {
		t.Errorf("slots %v", got)
	}
	if instanceName(0, 1) != "notify_push" || instanceName(2, 3) != "notify_push-3" {
		t.Error("instance names")
	}
}

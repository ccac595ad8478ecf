package harness

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"

	"github.com/notifypush/notify_push/adapters/httpapi"
)

// keys is the sorted field names of v's JSON object.
func keys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(m))
}

// The load tool reads notify_push's /debug/runtime with its own struct: the
// two must name the same fields, or figures would silently read as zero.
func TestRuntimeStatsMatchTheServersJSON(t *testing.T) {
	ours, theirs := keys(t, ReadRuntimeStats()), keys(t, httpapi.ReadRuntimeStats())
	if !slices.Equal(ours, theirs) {
		t.Fatalf("harness.RuntimeStats has %v, notify_push answers %v", ours, theirs)
	}
}

func TestDebugRoutes(t *testing.T) {
	mux := http.NewServeMux()
	DebugRoutes(mux)
	for _, c := range []struct {
		method, path, remote string
		want                 int
	}{
		{http.MethodGet, "/debug/runtime", "127.0.0.1:5000", http.StatusOK},
		{http.MethodPost, "/debug/gc", "[::1]:5000", http.StatusOK},
		{http.MethodGet, "/debug/gc", "127.0.0.1:5000", http.StatusMethodNotAllowed},
		{http.MethodGet, "/debug/runtime", "192.0.2.1:5000", http.StatusForbidden},
		{http.MethodPost, "/debug/gc", "192.0.2.1:5000", http.StatusForbidden},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		req.RemoteAddr = c.remote
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s %s from %s: status %d, want %d", c.method, c.path, c.remote, rec.Code, c.want)
			continue
		}
		if c.want != http.StatusOK {
			continue
		}
		var s RuntimeStats
		if err := json.NewDecoder(rec.Body).Decode(&s); err != nil || s.Goroutines == 0 || s.TotalBytes == 0 {
			t.Errorf("%s %s: %+v %v", c.method, c.path, s, err)
		}
		if c.path == "/debug/gc" && s.GCCycles == 0 {
			t.Errorf("no collection counted after POST /debug/gc: %+v", s)
		}
	}
}

// Plus sums every field: a field it forgot would read as one server's in a
// service's figures.
func TestPlusSumsEveryField(t *testing.T) {
	var s RuntimeStats
	v := reflect.ValueOf(&s).Elem()
	for i := range v.NumField() {
		v.Field(i).SetUint(uint64(i + 1))
	}
	sum := reflect.ValueOf(s.Plus(s))
	for i := range sum.NumField() {
		if got := sum.Field(i).Uint(); got != 2*uint64(i+1) {
			t.Errorf("RuntimeStats.Plus: %s = %d, want %d", sum.Type().Field(i).Name, got, 2*(i+1))
		}
	}
	m := Memory{RSS: 1, RSSAnon: 2, RSSFile: 3, Threads: 4}
	if got := m.Plus(m); got != (Memory{RSS: 2, RSSAnon: 4, RSSFile: 6, Threads: 8}) {
		t.Errorf("Memory.Plus: %+v", got)
	}
}

package domain

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func texts(out []Outgoing) []string {
	var s []string
	for _, o := range out {
		s = append(s, o.Text)
	}
	return s
}

func TestDebounceBase(t *testing.T) {
	tests := []struct {
		active int64
		max    time.Duration
		want   time.Duration
	}{
		{0, 15 * time.Second, time.Second},
		{19, 15 * time.Second, time.Second},
		{20, 15 * time.Second, 2 * time.Second},
		{99, 15 * time.Second, 9 * time.Second},
		{150, 15 * time.Second, 15 * time.Second},
		{100000, 15 * time.Second, 15 * time.Second},
		{100000, 5 * time.Second, 5 * time.Second},
		{100000, 0, time.Second},
	}
	for _, tt := range tests {
		if got := DebounceBase(tt.active, tt.max); got != tt.want {
			t.Errorf("DebounceBase(%d, %v) = %v, want %v", tt.active, tt.max, got, tt.want)
		}
	}
}

func TestNewSubscriptionClampsFactor(t *testing.T) {
	for _, f := range []float64{-1, 0, 0.49, 1.5, 7} {
		s := NewSubscription(f)
		if s.factor < 0.5 || s.factor >= 1.5 {
			t.Errorf("factor %v kept as %v", f, s.factor)
		}
	}
}

// Every connection holds a Subscription: it must stay small (three time.Time
// slots each took 88 bytes before).
func TestSubscriptionStaysSmall(t *testing.T) {
	if size := unsafe.Sizeof(Subscription{}); size > 88 {
		t.Fatalf("a Subscription takes %d bytes, want at most 88", size)
	}
}

// Due times keep the monotonic reading of the times given, so that the
// scheduler compares them on that clock as it did with time.Time slots.
func TestDueTimesKeepToTheMonotonicClock(t *testing.T) {
	start := time.Now() // carries a monotonic reading
	s := NewSubscription(1)
	s.AddActivity(start)
	due, ok := s.NextDue(time.Second)
	if !ok || due.Sub(start) != QuietPeriod {
		t.Fatalf("due %v after the message, want %v", due.Sub(start), QuietPeriod)
	}
	if out := s.Flush(due, time.Second, nil); len(out) != 1 {
		t.Fatalf("flushed %d at the due time", len(out))
	}
	later := start.Add(200 * time.Millisecond)
	s.AddActivity(later)
	due, _ = s.NextDue(time.Second)
	if got := due.Sub(later); got != time.Second-100*time.Millisecond {
		t.Fatalf("due %v after the second message, want 900ms (1 s after the send)", got)
	}
	if !strings.Contains(due.String(), " m=") {
		t.Fatal("the due time lost its monotonic reading")
	}
}

func TestFileIDsMerge(t *testing.T) {
	tests := []struct {
		name   string
		listen bool
		adds   []struct {
			id    FileID
			known bool
		}
		want string
	}{
		{"union in arrival order", true, []struct {
			id    FileID
			known bool
		}{{3, true}, {1, true}, {3, true}, {2, true}}, "notify_file_id [3,1,2]"},
		{"unknown wins", true, []struct {
			id    FileID
			known bool
		}{{3, true}, {0, false}, {4, true}}, "notify_file"},
		{"not listening", false, []struct {
			id    FileID
			known bool
		}{{3, true}}, "notify_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSubscription(1)
			if tt.listen {
				s.ListenFileIDs()
			}
			for _, a := range tt.adds {
				s.AddFile(a.id, a.known, t0)
			}
			out := s.FlushAll(t0, nil)
			if got := texts(out); !reflect.DeepEqual(got, []string{tt.want}) {
				t.Fatalf("got %v, want %q", got, tt.want)
			}
			if s.Pending() {
				t.Fatal("still pending after flush")
			}
		})
	}
}

// Past the ids a slot scans, duplicates are still dropped in arrival order,
// and a flush forgets them.
func TestFileIDsMergeManyIDs(t *testing.T) {
	s := NewSubscription(1)
	s.ListenFileIDs()
	var want []string
	for i := range 4 * linearIDSearch {
		s.AddFile(FileID(i), true, t0)
		s.AddFile(FileID(i/2), true, t0) // always seen already
		want = append(want, strconv.Itoa(i))
	}
	if got := texts(s.FlushAll(t0, nil)); !reflect.DeepEqual(got, []string{"notify_file_id [" + strings.Join(want, ",") + "]"}) {
		t.Fatalf("got %v", got)
	}
	s.AddFile(40, true, t0)
	if got := texts(s.FlushAll(t0, nil)); !reflect.DeepEqual(got, []string{"notify_file_id [40]"}) {
		t.Fatalf("after a flush: %v", got)
	}
}

func TestFileIDsOverflowBecomesUnknown(t *testing.T) {
	s := NewSubscription(1)
	s.ListenFileIDs()
	for i := 0; i <= MaxPendingFileIDs; i++ {
		s.AddFile(FileID(i), true, t0)
	}
	if got := texts(s.FlushAll(t0, nil)); !reflect.DeepEqual(got, []string{"notify_file"}) {
		t.Fatalf("got %v", got)
	}
	// After a flush the slot starts over with known ids.
	s.AddFile(7, true, t0)
	if got := texts(s.FlushAll(t0, nil)); !reflect.DeepEqual(got, []string{"notify_file_id [7]"}) {
		t.Fatalf("got %v", got)
	}
}

func TestDebounceTimeline(t *testing.T) {
	base := 2 * time.Second // factor 1: file/activity every 2 s, notification every 1 s
	s := NewSubscription(1)
	s.ListenFileIDs()

	// First message: only the 100 ms quiet period applies.
	s.AddFile(1, true, at(0))
	if due, ok := s.NextDue(base); !ok || !due.Equal(at(100)) {
		t.Fatalf("first due = %v, %v; want +100ms", due, ok)
	}
	if out := s.Flush(at(99), base, nil); len(out) != 0 {
		t.Fatalf("sent before the quiet period: %v", texts(out))
	}
	// A burst keeps pushing the quiet period out.
	s.AddFile(2, true, at(50))
	if out := s.Flush(at(100), base, nil); len(out) != 0 {
		t.Fatalf("sent inside the burst: %v", texts(out))
	}
	out := s.Flush(at(150), base, nil)
	if got := texts(out); !reflect.DeepEqual(got, []string{"notify_file_id [1,2]"}) {
		t.Fatalf("at 150ms got %v", got)
	}
	if out[0].Kind != KindFile {
		t.Fatalf("kind %v", out[0].Kind)
	}
	if _, ok := s.NextDue(base); ok {
		t.Fatal("nothing should be pending")
	}

	// Next file change: must wait for the debounce time since the last send.
	s.AddFile(3, true, at(200))
	if due, _ := s.NextDue(base); !due.Equal(at(2150)) {
		t.Fatalf("second due = %v, want 150ms+2s", due.Sub(t0))
	}
	if out := s.Flush(at(2149), base, nil); len(out) != 0 {
		t.Fatalf("sent before debounce: %v", texts(out))
	}
	if got := texts(s.Flush(at(2150), base, nil)); !reflect.DeepEqual(got, []string{"notify_file_id [3]"}) {
		t.Fatalf("got %v", got)
	}

	// Slots are independent: notification uses 1 s whatever the load.
	s.AddNotification(at(3000))
	s.AddActivity(at(3000))
	got := texts(s.Flush(at(3100), base, nil))
	if !reflect.DeepEqual(got, []string{"notify_activity", "notify_notification"}) {
		t.Fatalf("got %v", got)
	}
	s.AddNotification(at(3200))
	s.AddActivity(at(3200))
	if due, _ := s.NextDue(base); !due.Equal(at(4100)) {
		t.Fatalf("notification due %v, want 4100ms", due.Sub(t0))
	}
	if got := texts(s.Flush(at(4100), base, nil)); !reflect.DeepEqual(got, []string{"notify_notification"}) {
		t.Fatalf("got %v", got)
	}
	if got := texts(s.Flush(at(5100), base, nil)); !reflect.DeepEqual(got, []string{"notify_activity"}) {
		t.Fatalf("got %v", got)
	}
}

func TestDebounceFactorScalesFileAndActivityOnly(t *testing.T) {
	base := 10 * time.Second
	s := NewSubscription(0.5)
	s.AddActivity(at(0))
	s.AddNotification(at(0))
	s.FlushAll(at(0), nil)
	s.AddActivity(at(10))
	s.AddNotification(at(10))
	due, _ := s.NextDue(base)
	if !due.Equal(at(1000)) {
		t.Fatalf("notification first: due %v", due.Sub(t0))
	}
	s.Flush(due, base, nil)
	due, _ = s.NextDue(base)
	if !due.Equal(at(5000)) {
		t.Fatalf("activity with factor 0.5 of 10 s: due %v, want 5s", due.Sub(t0))
	}
}

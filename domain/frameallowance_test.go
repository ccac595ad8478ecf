package domain

import (
	"testing"
	"time"
)

func TestFrameAllowance(t *testing.T) {
	const rate = 10 // a burst of 100 frames
	start := time.Unix(1_700_000_000, 0).UnixNano()
	at := func(d time.Duration) int64 { return start + int64(d) }

	var a FrameAllowance
	if !a.Charge(100, at(0), rate) {
		t.Fatal("a burst of ten seconds' worth refused")
	}
	if a.Charge(1, at(0), rate) {
		t.Fatal("one frame past the burst allowed")
	}

	a = FrameAllowance{}
	// A client at its rate forever stays allowed.
	for i := range 1000 {
		if !a.Charge(1, at(time.Duration(i)*100*time.Millisecond), rate) {
			t.Fatalf("frame %d at exactly the rate refused", i)
		}
	}
	// A client at twice its rate is refused once its burst is spent: after
	// about ten seconds.
	a = FrameAllowance{}
	refused := -1
	for i := range 1000 {
		if !a.Charge(1, at(time.Duration(i)*50*time.Millisecond), rate) {
			refused = i
			break
		}
	}
	if refused < 190 || refused > 210 {
		t.Fatalf("twice the rate refused at frame %d, want about 200", refused)
	}
	// Time going backwards (another reader's clock) refunds nothing.
	a = FrameAllowance{}
	a.Charge(100, at(time.Second), rate)
	if a.Charge(1, at(0), rate) {
		t.Fatal("an earlier time refilled the allowance")
	}
}

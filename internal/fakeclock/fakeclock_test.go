package fakeclock

import (
	"testing"
	"time"
)

func received(ch <-chan time.Time) (time.Time, bool) {
	select {
	case t := <-ch:
		return t, true
	default:
		return time.Time{}, false
	}
}

func TestTimersFireWhenTheClockPassesThem(t *testing.T) {
	c := New(time.Time{})
	a, b := c.NewTimer(time.Second), c.NewTimer(3*time.Second)
	if c.Timers() != 2 {
		t.Fatalf("%d timers waiting, want 2", c.Timers())
	}
	c.Advance(999 * time.Millisecond)
	if _, ok := received(a.C()); ok {
		t.Fatal("a fired before its time")
	}
	c.Advance(time.Millisecond)
	if got, ok := received(a.C()); !ok || !got.Equal(Start.Add(time.Second)) {
		t.Fatalf("a: %v %v, want the time it fired at", got, ok)
	}
	if b.Stop() != true {
		t.Fatal("Stop of a waiting timer reported it inactive")
	}
	c.Advance(time.Hour)
	if _, ok := received(b.C()); ok {
		t.Fatal("a stopped timer fired")
	}
	if a.Reset(time.Minute) {
		t.Fatal("Reset of a fired timer reported it active")
	}
	c.Advance(time.Minute)
	if _, ok := received(a.C()); !ok {
		t.Fatal("a reset timer did not fire")
	}
}

func TestStopDropsAValueNobodyReceived(t *testing.T) {
	c := New(time.Time{})
	tm := c.NewTimer(time.Second)
	c.Advance(time.Second)
	tm.Stop()
	if _, ok := received(tm.C()); ok {
		t.Fatal("a value sent before Stop was still received after it")
	}
	tm.Reset(0)
	if _, ok := received(tm.C()); !ok {
		t.Fatal("Reset(0) did not fire at once")
	}
}

func TestAfterFuncAndAwaitTimers(t *testing.T) {
	c := New(time.Time{})
	done := make(chan struct{})
	go func() { c.AfterFunc(time.Second, func() { close(done) }) }()
	c.AwaitTimers(t, 1)
	c.Advance(time.Second)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("AfterFunc's function did not run")
	}
	stopped := c.AfterFunc(time.Second, func() { t.Error("a stopped AfterFunc ran") })
	stopped.Stop()
	c.Advance(time.Minute)
	if c.Timers() != 0 {
		t.Fatalf("%d timers left", c.Timers())
	}
}

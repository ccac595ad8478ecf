package hist

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func TestBucketsCoverEveryValueTightly(t *testing.T) {
	values := []uint64{0, 1, 127, 255, 256, 257, 383, 384, 1000, 4095, 4096, 99_999, 1 << 30, 1<<41 - 1}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		values = append(values, r.Uint64N(1<<40))
	}
	for _, v := range values {
		i := bucketOf(v)
		lo, hi := bucketLow(i), bucketHigh(i)
		if v < lo || v > hi {
			t.Fatalf("%d in bucket %d = [%d, %d]", v, i, lo, hi)
		}
		if width := float64(hi-lo+1) / float64(max(lo, 1)); lo >= 256 && i < numBuckets-1 && width > 1.0/128+1e-9 {
			t.Fatalf("bucket %d = [%d, %d] is %.3f%% wide", i, lo, hi, width*100)
		}
	}
	for i := 0; i < numBuckets-1; i++ {
		if bucketHigh(i)+1 != bucketLow(i+1) {
			t.Fatalf("gap between bucket %d (to %d) and %d (from %d)", i, bucketHigh(i), i+1, bucketLow(i+1))
		}
	}
	if bucketOf(math.MaxUint64) != numBuckets-1 {
		t.Fatalf("huge values must land in the last bucket")
	}
}

func TestQuantilesOfAKnownDistribution(t *testing.T) {
	var h Histogram
	for v := uint64(1); v <= 100_000; v++ {
		h.Record(v)
	}
	s := h.Snapshot()
	if s.Count != 100_000 || s.Max != 100_000 {
		t.Fatalf("count %d, max %d", s.Count, s.Max)
	}
	for _, q := range []struct {
		q    float64
		want uint64
	}{{0.5, 50_000}, {0.99, 99_000}, {0.999, 99_900}, {1, 100_000}} {
		got := s.Quantile(q.q)
		// Never below the true value, at most one bucket (< 1%) above.
		if got < q.want || float64(got) > float64(q.want)*1.008 {
			t.Errorf("p%g = %d, want %d (+<1%%)", q.q*100, got, q.want)
		}
	}
	var small Histogram
	for _, v := range []uint64{3, 1, 2} {
		small.Record(v)
	}
	if got := small.Snapshot().Quantile(0.5); got != 2 {
		t.Errorf("median of 1,2,3 = %d", got)
	}
	if (Latencies{}).Quantile(0.99) != 0 {
		t.Error("empty histogram has a quantile")
	}
}

func TestMergeEqualsRecordingTogether(t *testing.T) {
	var a, b, both Histogram
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 5000 {
		v := r.Uint64N(1_000_000)
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
		both.Record(v)
	}
	m := a.Snapshot()
	m.Merge(b.Snapshot())
	want := both.Snapshot()
	if m.Count != want.Count || m.Max != want.Max || len(m.Buckets) != len(want.Buckets) {
		t.Fatalf("merged %d values max %d in %d buckets, want %d max %d in %d", m.Count, m.Max, len(m.Buckets),
			want.Count, want.Max, len(want.Buckets))
	}
	for i := range m.Buckets {
		if m.Buckets[i] != want.Buckets[i] {
			t.Fatalf("bucket %d: %v, want %v", i, m.Buckets[i], want.Buckets[i])
		}
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		if m.Quantile(q) != want.Quantile(q) {
			t.Errorf("p%g differs", q*100)
		}
	}
}

func TestHistogramConcurrentRecordAndReset(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				h.Record(uint64(g*1000 + i))
			}
		}()
	}
	wg.Wait()
	s := h.Snapshot()
	if s.Count != 8000 || s.Max != 7999 {
		t.Fatalf("count %d max %d", s.Count, s.Max)
	}
	h.Reset()
	if s := h.Snapshot(); s.Count != 0 || s.Max != 0 || len(s.Buckets) != 0 {
		t.Fatalf("after reset: %+v", s)
	}
}

package hist

import (
	"math"
	"math/bits"
	"slices"
	"sync/atomic"
)

// Latencies are kept in log-linear buckets: exact below 256 µs, then 128
// buckets per power of two, so a bucket is less than 1% wide. Values past the
// last bucket (about 12 days) land in it.
const (
	subBits    = 7
	subBuckets = 1 << subBits // 128
	maxBits    = 41           // 2^41 µs ≈ 25 days
	numBuckets = (maxBits-subBits)*subBuckets + subBuckets
)

// bucketOf is the bucket of v microseconds.
func bucketOf(v uint64) int {
	if v < 2*subBuckets {
		return int(v)
	}
	n := bits.Len64(v) // ≥ 9
	if n > maxBits {
		return numBuckets - 1
	}
	shift := n - subBits - 1
	top := v >> shift // in [128, 256)
	return (n-subBits)*subBuckets + int(top) - subBuckets
}

// bucketLow is the smallest value of bucket i.
func bucketLow(i int) uint64 {
	if i < 2*subBuckets {
		return uint64(i)
	}
	n := i/subBuckets + subBits
	top := uint64(i%subBuckets + subBuckets)
	return top << (n - subBits - 1)
}

// bucketHigh is the largest value of bucket i.
func bucketHigh(i int) uint64 {
	if i >= numBuckets-1 {
		return math.MaxUint64
	}
	return bucketLow(i+1) - 1
}

// Histogram counts latencies in microseconds; Record is safe from many
// goroutines at once.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	max    atomic.Uint64
}

// Record adds one latency of us microseconds.
func (h *Histogram) Record(us uint64) {
	h.counts[bucketOf(us)].Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// Reset forgets every value. Values recorded meanwhile may or may not count.
func (h *Histogram) Reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
	h.max.Store(0)
}

// Snapshot copies the non-empty buckets.
func (h *Histogram) Snapshot() Latencies {
	var s Latencies
	for i := range h.counts {
		if n := h.counts[i].Load(); n > 0 {
			s.Buckets = append(s.Buckets, [2]uint64{uint64(i), n})
			s.Count += n
		}
	}
	s.Max = h.max.Load()
	return s
}

// Latencies is a histogram as sent between processes: the non-empty buckets
// in ascending order as [bucket, count] pairs.
type Latencies struct {
	Buckets [][2]uint64 `json:"b,omitempty"`
	Count   uint64      `json:"n"`
	Max     uint64      `json:"max_us"`
}

// Merge adds o's values to s.
func (s *Latencies) Merge(o Latencies) {
	counts := make(map[uint64]uint64, len(s.Buckets)+len(o.Buckets))
	for _, b := range s.Buckets {
		counts[b[0]] += b[1]
	}
	for _, b := range o.Buckets {
		counts[b[0]] += b[1]
	}
	s.Buckets = s.Buckets[:0]
	for i, n := range counts {
		s.Buckets = append(s.Buckets, [2]uint64{i, n})
	}
	slices.SortFunc(s.Buckets, func(a, b [2]uint64) int { return int(a[0]) - int(b[0]) })
	s.Count += o.Count
	s.Max = max(s.Max, o.Max)
}

// Quantile is the q-quantile (0 < q ≤ 1) by nearest rank, as the upper end of
// the bucket that holds it (so never an underestimate), and never above the
// largest value seen. It is 0 for an empty histogram.
func (s Latencies) Quantile(q float64) uint64 {
	if s.Count == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(s.Count)))
	rank = min(max(rank, 1), s.Count)
	var seen uint64
	for _, b := range s.Buckets {
		seen += b[1]
		if seen >= rank {
			return min(bucketHigh(int(b[0])), s.Max)
		}
	}
	return s.Max
}

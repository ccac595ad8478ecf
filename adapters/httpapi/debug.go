package httpapi

import (
	"encoding/json"
	"net/http"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
)

// DebugRoutes are diagnostics for load tools, served on the metrics listener
// to loopback clients only: POST /debug/gc forces a collection and returns
// freed memory to the OS, so that resident memory measures what is live;
// GET /debug/runtime tells where the Go runtime's memory goes; GET
// /debug/pprof/heap is the heap profile after a collection, to tell which
// allocations hold it (run the server with GODEBUG=memprofilerate=1 to see
// every one).
type DebugRoutes struct{}

// NewDebugRoutes makes the routes; they hold no state.
func NewDebugRoutes() *DebugRoutes { return &DebugRoutes{} }

// Register mounts the routes on mux.
func (d *DebugRoutes) Register(mux *http.ServeMux) {
	mux.Handle("POST /debug/gc", LocalOnly(http.HandlerFunc(d.gc)))
	mux.Handle("GET /debug/runtime", LocalOnly(http.HandlerFunc(d.runtime)))
	mux.Handle("GET /debug/pprof/heap", LocalOnly(http.HandlerFunc(d.heap)))
}

// RuntimeStats is a breakdown of the Go runtime's memory, from runtime/metrics.
type RuntimeStats struct {
	Goroutines uint64 `json:"goroutines"`
	// StackBytes is the memory of goroutine stacks, taken from the heap.
	StackBytes uint64 `json:"stack_bytes"`
	// OSStackBytes is the memory of the threads' own stacks.
	OSStackBytes uint64 `json:"os_stack_bytes"`
	// HeapObjects and HeapObjectBytes count what the last collection found
	// live plus what was allocated since.
	HeapObjects     uint64 `json:"heap_objects"`
	HeapObjectBytes uint64 `json:"heap_object_bytes"`
	// HeapUnusedBytes is reserved for objects but not in use (fragmentation).
	HeapUnusedBytes uint64 `json:"heap_unused_bytes"`
	// HeapFreeBytes is free heap memory still held from the OS;
	// HeapReleasedBytes is free heap memory returned to it.
	HeapFreeBytes     uint64 `json:"heap_free_bytes"`
	HeapReleasedBytes uint64 `json:"heap_released_bytes"`
	// MetadataBytes is the runtime's own bookkeeping (spans, caches, GC).
	MetadataBytes uint64 `json:"metadata_bytes"`
	// OtherBytes is the rest: profiling buckets, runtime internals.
	OtherBytes uint64 `json:"other_bytes"`
	// TotalBytes is everything the runtime has mapped, released memory included.
	TotalBytes uint64 `json:"total_bytes"`
	// GCCycles counts completed collections.
	GCCycles uint64 `json:"gc_cycles"`
}

// runtimeSamples maps each metric to the fields it adds to.
var runtimeSamples = []struct {
	name  string
	field func(*RuntimeStats) *uint64
}{
	{"/sched/goroutines:goroutines", func(s *RuntimeStats) *uint64 { return &s.Goroutines }},
	{"/memory/classes/heap/stacks:bytes", func(s *RuntimeStats) *uint64 { return &s.StackBytes }},
	{"/memory/classes/os-stacks:bytes", func(s *RuntimeStats) *uint64 { return &s.OSStackBytes }},
	{"/gc/heap/objects:objects", func(s *RuntimeStats) *uint64 { return &s.HeapObjects }},
	{"/memory/classes/heap/objects:bytes", func(s *RuntimeStats) *uint64 { return &s.HeapObjectBytes }},
	{"/memory/classes/heap/unused:bytes", func(s *RuntimeStats) *uint64 { return &s.HeapUnusedBytes }},
	{"/memory/classes/heap/free:bytes", func(s *RuntimeStats) *uint64 { return &s.HeapFreeBytes }},
	{"/memory/classes/heap/released:bytes", func(s *RuntimeStats) *uint64 { return &s.HeapReleasedBytes }},
	{"/memory/classes/metadata/mcache/free:bytes", func(s *RuntimeStats) *uint64 { return &s.MetadataBytes }},
	{"/memory/classes/metadata/mcache/inuse:bytes", func(s *RuntimeStats) *uint64 { return &s.MetadataBytes }},
	{"/memory/classes/metadata/mspan/free:bytes", func(s *RuntimeStats) *uint64 { return &s.MetadataBytes }},
	{"/memory/classes/metadata/mspan/inuse:bytes", func(s *RuntimeStats) *uint64 { return &s.MetadataBytes }},
	{"/memory/classes/metadata/other:bytes", func(s *RuntimeStats) *uint64 { return &s.MetadataBytes }},
	{"/memory/classes/profiling/buckets:bytes", func(s *RuntimeStats) *uint64 { return &s.OtherBytes }},
	{"/memory/classes/other:bytes", func(s *RuntimeStats) *uint64 { return &s.OtherBytes }},
	{"/memory/classes/total:bytes", func(s *RuntimeStats) *uint64 { return &s.TotalBytes }},
	{"/gc/cycles/total:gc-cycles", func(s *RuntimeStats) *uint64 { return &s.GCCycles }},
}

// ReadRuntimeStats samples runtime/metrics now. Metrics this Go version does
// not know read as zero.
func ReadRuntimeStats() RuntimeStats {
	samples := make([]metrics.Sample, len(runtimeSamples))
	for i, m := range runtimeSamples {
		samples[i].Name = m.name
	}
	metrics.Read(samples)
	var s RuntimeStats
	for i, m := range runtimeSamples {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			*m.field(&s) += samples[i].Value.Uint64()
		}
	}
	return s
}

func (d *DebugRoutes) gc(w http.ResponseWriter, _ *http.Request) {
	runtime.GC()
	debug.FreeOSMemory()
	writeRuntimeStats(w)
}

func (d *DebugRoutes) runtime(w http.ResponseWriter, _ *http.Request) {
	writeRuntimeStats(w)
}

// heap writes the heap profile (pprof's gzipped protocol buffer) of what the
// collection it forces first finds live.
func (d *DebugRoutes) heap(w http.ResponseWriter, _ *http.Request) {
	runtime.GC()
	w.Header().Set("Content-Type", "application/octet-stream")
	if err := pprof.Lookup("heap").WriteTo(w, 0); err != nil {
		http.Error(w, "write heap profile: "+err.Error(), http.StatusInternalServerError)
	}
}

func writeRuntimeStats(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ReadRuntimeStats())
}

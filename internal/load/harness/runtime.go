package harness

import (
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// RuntimeStats is where a server's Go runtime memory goes, as both servers
// under test answer GET /debug/runtime and POST /debug/gc: notify_push from
// its metrics listener, the reference server from DebugRoutes. The load
// tool keeps its own copy of the JSON shape so that it needs none of the
// product's packages to read it.
type RuntimeStats struct {
	Goroutines uint64 `json:"goroutines"`
	// StackBytes are goroutine stacks (taken from the heap), OSStackBytes
	// the threads' own stacks.
	StackBytes   uint64 `json:"stack_bytes"`
	OSStackBytes uint64 `json:"os_stack_bytes"`
	// HeapObjects and HeapObjectBytes are what the last collection found
	// live plus what was allocated since.
	HeapObjects     uint64 `json:"heap_objects"`
	HeapObjectBytes uint64 `json:"heap_object_bytes"`
	// HeapUnusedBytes is reserved for objects but not in use (fragmentation).
	HeapUnusedBytes uint64 `json:"heap_unused_bytes"`
	// HeapFreeBytes is free heap still held from the OS, HeapReleasedBytes
	// free heap given back to it.
	HeapFreeBytes     uint64 `json:"heap_free_bytes"`
	HeapReleasedBytes uint64 `json:"heap_released_bytes"`
	// MetadataBytes is the runtime's bookkeeping, OtherBytes the rest.
	MetadataBytes uint64 `json:"metadata_bytes"`
	OtherBytes    uint64 `json:"other_bytes"`
	// TotalBytes is all the runtime has mapped, released memory included.
	TotalBytes uint64 `json:"total_bytes"`
	GCCycles   uint64 `json:"gc_cycles"`
}

// ReadRuntimeStats samples this process's runtime/metrics; a metric this Go
// version lacks reads as zero.
func ReadRuntimeStats() RuntimeStats {
	var s RuntimeStats
	// Several metrics add up to one figure where the runtime splits it finer.
	into := map[string]*uint64{
		"/sched/goroutines:goroutines":                &s.Goroutines,
		"/memory/classes/heap/stacks:bytes":           &s.StackBytes,
		"/memory/classes/os-stacks:bytes":             &s.OSStackBytes,
		"/gc/heap/objects:objects":                    &s.HeapObjects,
		"/memory/classes/heap/objects:bytes":          &s.HeapObjectBytes,
		"/memory/classes/heap/unused:bytes":           &s.HeapUnusedBytes,
		"/memory/classes/heap/free:bytes":             &s.HeapFreeBytes,
		"/memory/classes/heap/released:bytes":         &s.HeapReleasedBytes,
		"/memory/classes/metadata/mcache/free:bytes":  &s.MetadataBytes,
		"/memory/classes/metadata/mcache/inuse:bytes": &s.MetadataBytes,
		"/memory/classes/metadata/mspan/free:bytes":   &s.MetadataBytes,
		"/memory/classes/metadata/mspan/inuse:bytes":  &s.MetadataBytes,
		"/memory/classes/metadata/other:bytes":        &s.MetadataBytes,
		"/memory/classes/profiling/buckets:bytes":     &s.OtherBytes,
		"/memory/classes/other:bytes":                 &s.OtherBytes,
		"/memory/classes/total:bytes":                 &s.TotalBytes,
		"/gc/cycles/total:gc-cycles":                  &s.GCCycles,
	}
	samples := make([]metrics.Sample, 0, len(into))
	for name := range into {
		samples = append(samples, metrics.Sample{Name: name})
	}
	metrics.Read(samples)
	for _, sample := range samples {
		if sample.Value.Kind() == metrics.KindUint64 {
			*into[sample.Name] += sample.Value.Uint64()
		}
	}
	return s
}

// DebugRoutes registers on mux the two routes the load run reads from a
// Server, for the reference server: POST /debug/gc collects, hands freed
// memory back to the OS (so that RSS measures what is live) and answers
// the stats after; GET /debug/runtime answers them. Loopback clients only.
func DebugRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /debug/gc", func(w http.ResponseWriter, r *http.Request) {
		if refused(w, r) {
			return
		}
		runtime.GC()
		debug.FreeOSMemory()
		writeRuntimeStats(w)
	})
	mux.HandleFunc("GET /debug/runtime", func(w http.ResponseWriter, r *http.Request) {
		if !refused(w, r) {
			writeRuntimeStats(w)
		}
	})
}

// refused answers 403 to a client that is not on this machine.
func refused(w http.ResponseWriter, r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsLoopback() {
		return false
	}
	http.Error(w, "debug routes answer loopback clients only", http.StatusForbidden)
	return true
}

func writeRuntimeStats(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ReadRuntimeStats())
}

// Plus sums two processes' breakdowns: several servers as one service.
func (s RuntimeStats) Plus(o RuntimeStats) RuntimeStats {
	return RuntimeStats{
		Goroutines: s.Goroutines + o.Goroutines, StackBytes: s.StackBytes + o.StackBytes, OSStackBytes: s.OSStackBytes + o.OSStackBytes,
		HeapObjects: s.HeapObjects + o.HeapObjects, HeapObjectBytes: s.HeapObjectBytes + o.HeapObjectBytes,
		HeapUnusedBytes: s.HeapUnusedBytes + o.HeapUnusedBytes, HeapFreeBytes: s.HeapFreeBytes + o.HeapFreeBytes,
		HeapReleasedBytes: s.HeapReleasedBytes + o.HeapReleasedBytes, MetadataBytes: s.MetadataBytes + o.MetadataBytes,
		OtherBytes: s.OtherBytes + o.OtherBytes, TotalBytes: s.TotalBytes + o.TotalBytes, GCCycles: s.GCCycles + o.GCCycles,
	}
}

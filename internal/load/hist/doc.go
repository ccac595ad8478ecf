// Package hist counts latencies in log-linear histograms that workers fill
// concurrently and the orchestrator merges across processes.
package hist

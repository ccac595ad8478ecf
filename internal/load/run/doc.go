// Package run is "loadgen", the load run: N idle authenticated connections
// against notify_push and then the reference server, connect storms,
// fan-out latency, per-user throughput and the Redis drain, and the report
// judged against the targets of issue 8.
package run

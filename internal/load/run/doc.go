// Package run is "loadgen", the load run: N idle authenticated connections
// against notify_push (one instance, or several on one Redis or Redis
// Cluster with the clients spread over them), connect storms, fan-out
// latency, per-user throughput, the Redis drain, Redis's and the
// database's cost; with several instances, each one's own fan-out with the
// others running and paused, and one instance alone holding one instance's
// share; then the reference server with the same clients. The
// report is judged against the targets of issues 8 and 19, the fan-out as
// a ratio to the reference's.
package run

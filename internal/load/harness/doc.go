// Package harness is what the load run and the soak share around the
// server under test: the bench (temporary folder, progress log, the world,
// the client workers), starting and stopping notify_push and the reference
// server (one or several instances), the private and the chaos
// redis-server and a private Redis Cluster, what Redis says of its own CPU
// and memory, reading a process's memory, CPU time and sockets from /proc,
// the servers' runtime stats and metrics, the client source addresses, and
// the command-line plumbing (flags, exit codes, the report on stdout and as
// JSON).
package harness

// Package protocol is how the orchestrator drives its client worker
// processes: JSON commands in on the worker's stdin, one reply each on its
// stdout, for the load run's connection groups and for the soak's slots,
// and both ends of that pipe (Worker, Serve).
package protocol

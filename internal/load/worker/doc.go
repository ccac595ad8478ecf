// Package worker is "loadgen worker": a process holding thousands of
// client connections for the orchestrator, dialing from the source
// addresses it is given, counting what arrives (load run) or logging every
// session and receipt (soak). It spends as little CPU per frame as it can,
// since it shares the cores with the server under test.
package worker

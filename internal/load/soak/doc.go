// Package soak is "loadgen soak": thousands of clients, some reconnecting
// in a loop, receive a steady mix of events for minutes while Redis is
// killed, restarted and frozen under the server; every delivery is
// accounted against the events published, and the idle server's memory,
// goroutines and open files before and after tell whether anything leaks.
package soak

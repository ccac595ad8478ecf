// Package domain holds the rules of the push server: who sees a storage change,
// what each event means, the exact text sent to clients, debouncing and
// pre-authentication. It is pure: standard library only, no I/O, no goroutines,
// and time is always passed in.
package domain

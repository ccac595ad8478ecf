// Package refserver is "loadgen refserver", the floor notify_push's memory
// per connection and fan-out latency are compared with: the plain design,
// one goroutine per connection with gorilla's buffers, pinging like
// notify_push, and given a Redis, writing each shared-storage update to its
// fan-out users from one goroutine per CPU.
package refserver

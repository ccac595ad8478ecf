// Package refserver is "loadgen refserver", the floor notify_push's memory
// per connection is compared with: the plain design, one goroutine per
// connection with gorilla's buffers, pinging like notify_push.
package refserver

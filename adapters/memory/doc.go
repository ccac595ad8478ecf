// Package memory holds in-process implementations of the outbound ports: an
// event bus that takes the same channel names and JSON payloads as Redis, a
// key-value store and a static authenticator. They back the embedded mode and
// the app's tests.
package memory

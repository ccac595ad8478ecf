// Package events is what the load tool publishes into Redis and how its
// clients recognise it: the kinds of events, their mix, the payloads (with
// a publish time or an event id where the message can carry one) and the
// pre-auth tokens.
package events

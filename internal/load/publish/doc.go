// Package publish sends PUBLISH commands to Redis over plain connections,
// cheaper than a client library at tens of thousands a second: paced and
// counted (Publisher, the load run) or with each event's fate tracked
// (Tracked, the soak).
package publish

// Package ports holds the interfaces through which the application meets the
// world. In some hexagonal codebases "ports" means the inbound handlers; here
// it means the interfaces only. Outbound ports (EventSource, MountStore,
// MountCache, Authenticator, KeyValue, NextcloudProbe, Clock, and the
// self-test command's NextcloudInspector and PushEndpoint) are implemented by
// adapters and consumed by app; inbound ports (Gateway, SelfTest) are
// implemented by app and driven by the inbound adapters (websocket, httpapi).
//
// Mocks of every interface are generated into mocks/ by `go generate ./...`.
package ports

//go:generate go tool mockgen -destination=../mocks/ports.go -package=mocks github.com/notifypush/notify_push/ports EventSource,EventPublisher,MountStore,MountCache,Authenticator,KeyValue,NextcloudProbe,Clock,Gateway,Session,ClientConn,SelfTest,Service,Readiness,NextcloudInspector,PushEndpoint

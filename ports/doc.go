// Package ports holds the interfaces through which the application meets the
// world. In some hexagonal codebases "ports" means the inbound handlers; here
// it means the interfaces only. Outbound ports (EventSource, MountStore,
// Authenticator, KeyValue, TokenClaims, Instances, NextcloudProbe, Clock, and
// the self-test command's NextcloudInspector and PushEndpoint) are
// implemented by adapters and consumed by app; inbound ports (Logins,
// TestEndpoints, Readiness) are implemented by app and driven by the inbound
// adapters (websocket, httpapi, systemd).
//
// Mocks of every interface are generated into mocks/ by `go generate ./...`.
package ports

//go:generate go tool mockgen -destination=../mocks/ports.go -package=mocks github.com/notifypush/notify_push/ports EventSource,EventPublisher,MountStore,Authenticator,KeyValue,TokenClaims,Instances,NextcloudProbe,Clock,Timer,Logins,Session,ClientConn,TestEndpoints,Service,Readiness,NextcloudInspector,PushEndpoint

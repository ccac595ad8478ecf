// Package app holds the use cases of the push server. It sees the world only
// through ports; app/wiring joins it to the adapters, one injector per
// deployment shape.
//
// Where things happen:
//
//	an event arrives          dispatcher.go   Dispatcher.Run listens to the ports.EventSource
//	                                          (adapters/redis; adapters/memory in the demo),
//	                                          Dispatcher.HandleEvent acts on each event
//	a storage update arrives  mapper.go       Mapper.Update: users from the cached mapping, or a
//	                                          lookup on a worker with backoff; mountcache.go keeps
//	                                          the rows 4-5 min in front of the database
//	                                          (adapters/gormdb); recovery.go tells the
//	                                          users of dropped updates once it answers
//	a message is sent         hub.go          Hub delivers per user, debounced per connection
//	                                          (scheduler.go); the transport is adapters/websocket
//	a login is checked        logins.go       Logins.Check: pre-auth token (preauth.go), else
//	                                          Nextcloud (adapters/nextcloud) through AuthGuard
//	                                          (authguard.go), refused until Dependencies answer
//	dependencies are watched  dependencies.go the login gate at start, /health and readiness
//	the app's /test/* routes  testendpoints.go TestEndpoints (served by adapters/httpapi)
//	the check at start        startupcheck.go StartupCheck, once every dependency answered
//	`notify_push self-test`   diagnosis.go    Diagnosis and its checks (diagnosischecks.go)
//	the app's version         appversion.go   AppVersion: what notify_push_version reports
//	the log spec changes      logfilter.go    LogFilter, per target (logspec.go; notify_config)
//	the daemon runs           daemon.go       Daemon runs every Service until shutdown
//
// Outside app: config.php is read in adapters/config/php (parsed) and
// adapters/config/nextcloud.go (its keys → Config); the embedded demo world is
// adapters/demo.
package app

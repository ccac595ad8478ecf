package domain

// Log targets: upstream's module paths, which its LOG specs and notify_config
// name (app.LogSpec). Each logger of ours carries one (TargetKey), so that a
// spec such as "notify_push::send=debug" means here what it means upstream.
const (
	// TargetKey is the attribute that names a logger's target.
	TargetKey = "target"

	TargetRoot           = "notify_push"
	TargetReceive        = "notify_push::receive"
	TargetSend           = "notify_push::send"
	TargetConnection     = "notify_push::connection"
	TargetNextcloud      = "notify_push::nc"
	TargetStorageMapping = "notify_push::storage_mapping"
	TargetRedis          = "notify_push::redis"
	// TargetDatabaseLibrary and TargetRedisLibrary are what the libraries
	// under us log as: upstream's are sqlx and redis, and a spec that quiets
	// them ("notify_push=debug,sqlx=warn") quiets ours.
	TargetDatabaseLibrary = "sqlx"
	TargetRedisLibrary    = "redis"
)

package app

// Keys of the key-value store shared with the Nextcloud app (PROTOCOL §7, §8).
const (
	// KeyTestToken holds the token the app's test routes must carry.
	KeyTestToken = "test-token"
	// KeyVersion is where the server reports its version to the app.
	KeyVersion = "notify_push_version"
	// KeyAppVersion is where the app writes its own version.
	KeyAppVersion = "notify_push_app_version"
	// KeyMetrics receives the answer to notify_query "metrics".
	KeyMetrics = "notify_push_metrics"
)

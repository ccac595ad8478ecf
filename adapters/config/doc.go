// Package config turns the server's configuration sources into app.Config:
// command-line flags over environment variables over a .env file in the
// working directory over Nextcloud's config.php (PROTOCOL §9). Every setting
// is declared once, in settings.go, which also produces --help.
//
// config.php, the one positional argument, is read with package php (and
// with --glob-config every *.config.php beside it, as Nextcloud does); its
// dbtype, dbhost, redis, redis.cluster, notify_push_redis, overwrite.cli.url
// and related keys become the same DATABASE_URL, REDIS_URL, REDIS_TLS_* and
// NEXTCLOUD_URL values the other sources give, so the rest of the server
// never sees config.php. Each value's source names the file it came from.
package config

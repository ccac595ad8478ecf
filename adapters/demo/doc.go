// Package demo is the embedded demo world, in one place: its users and
// logins, storages and mounts (World), the rows it seeds into Nextcloud-shaped
// tables (Seed), the banner printed at start (WriteBanner, generated from the
// same data), and the two routes only the demo serves: the sandbox console
// and the publish route that stands in for Nextcloud's PUBLISH. The embedded
// injector (app/wiring) joins them to the in-process adapters of
// adapters/memory and a SQLite database.
package demo

// Package world is what the servers under test run against: users userN
// with password passN, a home storage each, one storage shared by the
// first of them and, for several servers, one storage per group of those
// (the users one server holds), in a SQLite database shaped like
// Nextcloud's, and a fake Nextcloud that checks those credentials.
package world

// Package config turns the server's configuration sources into app.Config:
// command-line flags over environment variables over a .env file in the
// working directory (PROTOCOL §9). Every setting is declared once, in
// settings.go, which also produces --help.
package config

// Package proxy holds the reverse-proxy snippets that docs/deployment.md
// includes verbatim (nginx, Apache, Caddy, Traefik), and the test that proves
// them: every installed proxy is started on loopback with a configuration
// derived from its committed snippet, in front of the embedded push server,
// and a client logs in, receives events, is seen by its own address and stays
// connected while idle. It has no code of its own.
package proxy

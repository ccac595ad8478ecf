// Package nextcloud talks to the Nextcloud app over HTTP: the credential
// check of PROTOCOL §6 and the probes of the self-test (§7).
package nextcloud

// Package release holds the checks of what ships, and nothing else: the
// Grafana dashboard and the Prometheus alerts against the metrics a running
// server exports, the Debian package's files, and, behind the build tag
// "release" (make release-check), the release binaries of dist/ under
// qemu-user, the .deb installed and purged, and the container image built
// and run with buildah. No product package imports it.
package release

package testenv

import (
	"os/exec"
	"testing"
)

// InstallChromium is printed when Chromium is missing.
const InstallChromium = "apt-get install chromium"

// Chromium is the path of the Chromium binary browser tests drive
// (TEST_CHROMIUM overrides /usr/bin/chromium). Missing, it fails the test in
// CI and skips it elsewhere.
func Chromium(t testing.TB) string {
	t.Helper()
	path := getenv("TEST_CHROMIUM", "/usr/bin/chromium")
	if _, err := exec.LookPath(path); err != nil {
		Unavailable(t, "Chromium", InstallChromium, err)
	}
	return path
}

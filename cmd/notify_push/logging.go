package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/notifypush/notify_push/app"
)

// newLogFilter builds the process's logging: lines filtered per target by
// spec (LOG, then notify_config), written as text (coloured by level only
// when writing to a terminal and NO_ANSI is off) or JSON.
func newLogFilter(w io.Writer, cfg app.Config, spec app.LogSpec) *app.LogFilter {
	// The filter decides; the handler writes whatever it is given.
	opts := &slog.HandlerOptions{Level: app.LevelTrace, ReplaceAttr: levelNames}
	if cfg.LogFormat == "json" {
		return app.NewLogFilter(slog.NewJSONHandler(w, opts), spec)
	}
	if !cfg.NoANSI && isTerminal(w) {
		w = &colourWriter{w: w}
	}
	return app.NewLogFilter(slog.NewTextHandler(w, opts), spec)
}

// levelNames prints app.LevelTrace as TRACE rather than DEBUG-4.
func levelNames(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.LevelKey {
		if l, ok := a.Value.Any().(slog.Level); ok && l <= app.LevelTrace {
			return slog.String(slog.LevelKey, "TRACE")
		}
	}
	return a
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// colourWriter colours each record by its level. slog's text handler writes
// one record per Write call, so a whole line is coloured at once.
type colourWriter struct {
	mu sync.Mutex
	w  io.Writer
}

var levelColours = []struct {
	token, colour []byte
}{
	{[]byte(" level=ERROR "), []byte("\x1b[31m")},
	{[]byte(" level=WARN "), []byte("\x1b[33m")},
	{[]byte(" level=INFO "), []byte("\x1b[32m")},
	{[]byte(" level=DEBUG "), []byte("\x1b[36m")},
	{[]byte(" level=TRACE "), []byte("\x1b[90m")},
}

func (c *colourWriter) Write(p []byte) (int, error) {
	for _, lc := range levelColours {
		if !bytes.Contains(p, lc.token) {
			continue
		}
		line := bytes.TrimSuffix(p, []byte("\n"))
		out := make([]byte, 0, len(p)+len(lc.colour)+5)
		out = append(append(append(append(out, lc.colour...), line...), "\x1b[0m"...), '\n')
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, err := c.w.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(p)
}

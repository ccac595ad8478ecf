package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/app"
)

func TestLoggerFormats(t *testing.T) {
	spec, err := app.ParseLogSpec("trace")
	if err != nil {
		t.Fatal(err)
	}

	var text bytes.Buffer
	newLogFilter(&text, app.Config{}, spec).Logger().Log(t.Context(), app.LevelTrace, "deep", "k", "v")
	if !strings.Contains(text.String(), "level=TRACE msg=deep k=v") || strings.Contains(text.String(), "\x1b[") {
		t.Fatalf("text (not a terminal: no colours): %q", text.String())
	}

	var js bytes.Buffer
	newLogFilter(&js, app.Config{LogFormat: "json"}, spec).Logger().Warn("careful", "n", 3)
	var rec map[string]any
	if err := json.Unmarshal(js.Bytes(), &rec); err != nil || rec["level"] != "WARN" || rec["msg"] != "careful" || rec["n"] != 3.0 {
		t.Fatalf("json: %q %v", js.String(), err)
	}
}

func TestColourWriterColoursWholeLines(t *testing.T) {
	var out bytes.Buffer
	w := &colourWriter{w: &out}
	log := slog.New(slog.NewTextHandler(w, nil))
	log.Error("boom")
	log.Info("fine")
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "\x1b[31m") || !strings.HasSuffix(lines[0], "\x1b[0m") ||
		!strings.HasPrefix(lines[1], "\x1b[32m") {
		t.Fatalf("coloured output %q", out.String())
	}
}

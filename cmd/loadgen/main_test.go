package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestCommandLineErrorsAndHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := mainCode(context.Background(), []string{"--conns", "x"}, nil, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "loadgen: ") || !strings.Contains(errOut.String(), "--help") ||
		strings.Count(strings.TrimSpace(errOut.String()), "\n") != 0 {
		t.Errorf("bad flag: exit %d, %q", code, errOut.String())
	}
	out.Reset()
	if code := mainCode(context.Background(), []string{"--help"}, nil, &out, &errOut); code != 0 {
		t.Errorf("--help: exit %d", code)
	}
	for _, want := range []string{"-conns", "-ping-interval", "-mix", "-server-bin", "-per-source", "default 19000"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	errOut.Reset()
	if code := mainCode(context.Background(), []string{"refserver", "--ping-interval", "0s"}, nil, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "--ping-interval") {
		t.Errorf("refserver with a bad flag: exit %d, %q", code, errOut.String())
	}
}

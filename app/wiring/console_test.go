package wiring

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/notifypush/notify_push/internal/testenv"
)

// The console's viewport, also the size of the screenshot in docs/img.
const consoleWidth, consoleHeight = 1280, 960

// browser starts a headless Chromium with a fresh profile, bounded to a
// minute, and returns a tab context and the page's JavaScript errors so far.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	exec := testenv.Chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exec),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(consoleWidth, consoleHeight),
	)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancel() }) // cancelAlloc waits for the browser to exit

	var mu sync.Mutex
	var errs []string
	if err := chromedp.Listen(tab, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			errs = append(errs, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, msg))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, a.Description+string(a.Value))
				}
				errs = append(errs, "console.error: "+strings.Join(args, " "))
			}
		}
	}); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return tab, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v\nlog:\n%s", what, err, pageLog(ctx))
	}
}

// pageLog is the console's log as text, for failure messages.
func pageLog(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('log').innerText`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return text
}

// waitJS waits (at most 10 s) until the JavaScript function fn returns true
// for arg.
func waitJS(t *testing.T, ctx context.Context, what, fn string, arg any) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](fn, chromedp.WithPollingArgs(arg),
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("waiting for %s: %v\nlog:\n%s", what, err, pageLog(ctx))
	}
}

// waitLogged waits until the log holds an entry of kind ("in", "out", ...)
// whose text is exactly text.
func waitLogged(t *testing.T, ctx context.Context, kind, text string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf("%s %q in the log", kind, text),
		`(want) => [...document.querySelectorAll('#log li.`+kind+` code')].some((c) => c.textContent === want)`, text)
}

func waitState(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	waitJS(t, ctx, "socket state "+state, `(want) => document.getElementById('state').dataset.state === want`, state)
}

func waitResult(t *testing.T, ctx context.Context, id, contains string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf("#%s to say %q", id, contains),
		`(want) => document.getElementById('`+id+`').textContent.includes(want)`, contains)
}

func setFields(fields ...string) []chromedp.Action[chromedp.Void] {
	var actions []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(fields); i += 2 {
		actions = append(actions, chromedp.SetValue(chromedp.ID(fields[i]), fields[i+1]))
	}
	return actions
}

func TestConsoleInChromium(t *testing.T) {
	ctx, pageErrors := browser(t) // first: without Chromium there is nothing to start
	addr := embeddedServer(t, nil)

	do(t, ctx, "open the console",
		chromedp.EmulateViewport(consoleWidth, consoleHeight),
		chromedp.Navigate("http://"+addr+"/"),
		chromedp.WaitVisible(chromedp.ID("connect")))
	if url, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("ws-url"))); err != nil || url != "ws://"+addr+"/ws" {
		t.Fatalf("WebSocket URL prefilled as %q (%v), want ws://%s/ws", url, err, addr)
	}

	do(t, ctx, "log in as alice", append(setFields("login", "alice", "password", "alice-pw"),
		chromedp.Click(chromedp.ID("connect")))...)
	waitState(t, ctx, "authenticated")
	waitLogged(t, ctx, "in", "authenticated")
	do(t, ctx, "toggle file ids", chromedp.Click(chromedp.ID("listen-ids")))
	waitLogged(t, ctx, "out", "listen notify_file_id")
	time.Sleep(200 * time.Millisecond) // the server reads the listen frame asynchronously

	do(t, ctx, "publish a storage update", append(setFields(
		"storage-id", "10", "storage-path", "files/Team/notes.md", "storage-file-id", "42"),
		chromedp.Click(chromedp.ID("publish-storage")))...)
	waitLogged(t, ctx, "in", "notify_file_id [42]")
	waitResult(t, ctx, "result-storage", "Published (204)")

	do(t, ctx, "publish a custom message", append(setFields(
		"custom-user", "alice", "custom-message", "my_app_event", "custom-body", `{ "id": 7 }`),
		chromedp.Click(chromedp.ID("publish-custom")))...)
	waitLogged(t, ctx, "in", `my_app_event {"id":7}`)

	shot := screenshot(t, ctx)
	checkScreenshot(t, shot)

	// A body that is not JSON is refused in the page: nothing is published,
	// which the activity published after it proves (one bus, in order).
	do(t, ctx, "publish a bad custom body", append(setFields("custom-message", "bad_event", "custom-body", `{"id": 7,`),
		chromedp.Click(chromedp.ID("publish-custom")))...)
	waitResult(t, ctx, "result-custom", "not valid JSON")
	if invalid, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("custom-body"), "aria-invalid")); err != nil ||
		invalid.Value != "true" {
		t.Errorf("bad body field: aria-invalid %+v (%v), want true", invalid, err)
	}
	do(t, ctx, "publish an activity", append(setFields("activity-user", "alice"),
		chromedp.Click(chromedp.ID("publish-activity")))...)
	waitLogged(t, ctx, "in", "notify_activity")
	if log := pageLog(ctx); strings.Contains(log, "bad_event") {
		t.Fatalf("the bad custom message was published:\n%s", log)
	}

	// The route's refusal is shown as it said it.
	do(t, ctx, "publish an out-of-range storage", append(setFields("storage-id", "4294967296"),
		chromedp.Click(chromedp.ID("publish-storage")))...)
	waitResult(t, ctx, "result-storage", "Refused with 400: publish on notify_storage_update:")

	// A pre-auth token logs bob in with an empty login; reset closes him with 1012.
	do(t, ctx, "publish a pre-auth token", append(setFields("preauth-user", "bob"),
		chromedp.Click(chromedp.ID("publish-preauth")))...)
	waitResult(t, ctx, "result-preauth", "Published (204)")
	do(t, ctx, "log in with the token", chromedp.Click(chromedp.ID("login-preauth")))
	waitLogged(t, ctx, "out", "(empty login)")
	waitState(t, ctx, "authenticated")
	do(t, ctx, "publish an activity for bob", append(setFields("activity-user", "bob"),
		chromedp.Click(chromedp.ID("publish-activity")))...)
	waitJS(t, ctx, "a second notify_activity, for bob",
		`(want) => [...document.querySelectorAll('#log li.in code')].filter((c) => c.textContent === want).length === 2`,
		"notify_activity")
	do(t, ctx, "publish reset", chromedp.Click(chromedp.ID("publish-reset")))
	waitLogged(t, ctx, "close", `1012 (service restart), reason "reset"`)
	waitState(t, ctx, "closed")

	do(t, ctx, "clear the log", chromedp.Click(chromedp.ID("log-clear")))
	waitJS(t, ctx, "an empty log", `() => document.getElementById('log').children.length === 0`, nil)

	if errs := pageErrors(); len(errs) > 0 {
		t.Fatalf("JavaScript errors on the page:\n%s", strings.Join(errs, "\n"))
	}
}

// screenshot captures the viewport scrolled to the top, into
// CONSOLE_SCREENSHOT when set (make screenshot refreshes docs/img/console.png
// this way), else into the test's temp folder.
func screenshot(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	do(t, ctx, "scroll up", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); window.scrollTo(0, 0)`))
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := os.Getenv("CONSOLE_SCREENSHOT")
	if path == "" {
		path = filepath.Join(t.TempDir(), "console.png")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	return shot
}

// checkScreenshot asserts a PNG of the viewport's size that shows something.
func checkScreenshot(t *testing.T, shot []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != consoleWidth || b.Dy() != consoleHeight {
		t.Fatalf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), consoleWidth, consoleHeight)
	}
	colours := map[uint32]bool{}
	for y := 0; y < consoleHeight; y += 8 {
		for x := 0; x < consoleWidth; x += 8 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|b>>8] = true
		}
	}
	if len(colours) < 20 {
		t.Fatalf("screenshot has %d colours: a blank page?", len(colours))
	}
}

package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/notifypush/notify_push/internal/load/refserver"
	"github.com/notifypush/notify_push/internal/load/run"
	"github.com/notifypush/notify_push/internal/load/soak"
	"github.com/notifypush/notify_push/internal/load/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := mainCode(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func mainCode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "worker":
			return worker.Main(args[1:], stdin, stdout, stderr)
		case "soak":
			return soak.Main(ctx, args[1:], stdout, stderr)
		case "refserver":
			return refserver.Main(ctx, args[1:], stdout, stderr)
		}
	}
	return run.Main(ctx, args, stdout, stderr)
}

// Command loadgen measures what an admin pays for with many idle clients:
// memory per idle connection, CPU at rest, how fast one change reaches
// everyone, and how many events a second get through. It needs nothing but
// this machine: it builds notify_push (or takes --server-bin), starts a
// private redis-server (or Redis Cluster), a fast fake Nextcloud and a
// SQLite database holding N users, runs the server (or --instances of it on
// one Redis, the clients spread over them, and then one instance alone) and
// then a minimal reference server, holds the client connections in worker
// processes of its own, and prints a report judged against the targets of
// issues 8 and 19, the fan-out as a ratio to the reference's. "loadgen soak" is the soak test:
// thousands of reconnecting clients for minutes while events flow and Redis
// is killed and frozen, every delivery accounted, and the server's memory,
// goroutines and open files compared before and after. "loadgen hostile"
// measures victims receiving events with and without one client flooding
// frames and one address holding silent sockets and slow wrong passwords.
//
// This file only picks the subcommand; the work lives in internal/load:
//
//   - run: "loadgen", the load run and its report against the targets.
//   - soak: "loadgen soak", its event generator, delivery accounting and report.
//   - hostile: "loadgen hostile", both phases and their report, and "loadgen
//     attacker", the attack in a process of its own.
//   - worker: "loadgen worker", the client connections, driven over stdin/stdout
//     in the line protocol of package protocol.
//   - refserver: "loadgen refserver", the reference server.
//   - harness: what run and soak share around the server under test: the bench
//     (folder, progress, workers), the server processes, the private and chaos
//     Redis, /proc readers, runtime stats and metrics, flags and exit codes.
//   - world (users, storages, SQLite database, fake Nextcloud), events (kinds,
//     mix, payloads), publish (PUBLISH into Redis), hist (latency histograms)
//     and report (verdict lines, units).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/notifypush/notify_push/internal/load/hostile"
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

// mainCode runs the subcommand args name (none: the load run) and returns
// the exit code.
func mainCode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "worker":
			return worker.Main(args[1:], stdin, stdout, stderr)
		case "soak":
			return soak.Main(ctx, args[1:], stdout, stderr)
		case "refserver":
			return refserver.Main(ctx, args[1:], stdout, stderr)
		case "hostile":
			return hostile.Main(ctx, args[1:], stdout, stderr)
		case "attacker":
			return hostile.AttackerMain(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	return run.Main(ctx, args, stdout, stderr)
}

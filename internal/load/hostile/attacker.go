package hostile

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/notifypush/notify_push/internal/load/harness"
	"github.com/notifypush/notify_push/internal/load/protocol"
)

// The attack runs in a process of its own ("loadgen attacker"), under
// SCHED_IDLE unless --attacker-idle=false, as it would from another machine: in the orchestrator it
// shared the Go scheduler with the publisher, whose timestamps then waited
// behind the attack's goroutines and counted as the server's latency, and at
// normal priority its own CPU use (as much as the server's) competed with
// the server and the victims for this machine's two cores. What the server
// spends on the attack's traffic still counts in full.

// attackerStarted is the line the attacker prints once its flood is on.
const attackerStarted = "attacking"

// AttackerMain runs "loadgen attacker": one Attack until stdin closes or ctx
// ends, then its figures as one JSON line on stdout.
func AttackerMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen attacker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "the server's WebSocket URL")
	source := fs.String("source", "", "the loopback address every attacking socket comes from")
	user := fs.Int("user", 0, "the world user the flooding client logs in as")
	idleRate := fs.Int("idle-rate", 0, "silent sockets opened a second")
	guessers := fs.Int("guessers", 0, "wrong-password logins kept in flight")
	idle := fs.Bool("idle", false, "run under SCHED_IDLE")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *url == "" || *source == "" || *idleRate < 0 || *guessers < 0 {
		fmt.Fprintln(stderr, "loadgen attacker: --url and --source are required; --idle-rate and --guessers want 0 or more")
		return 2
	}
	if *idle {
		if err := harness.SetScheduling(harness.SchedIdle); err != nil {
			fmt.Fprintln(stderr, "loadgen attacker:", err)
			return 1
		}
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		_, _ = io.Copy(io.Discard, stdin) // the orchestrator closes stdin to end the attack
		stop()
	}()
	a := &Attack{url: *url, source: *source, user: *user}
	a.Start(ctx, *idleRate, *guessers)
	fmt.Fprintln(stdout, attackerStarted)
	<-ctx.Done()
	a.Wait()
	if err := json.NewEncoder(stdout).Encode(a.counts.figures()); err != nil {
		fmt.Fprintln(stderr, "loadgen attacker:", err)
		return 1
	}
	return 0
}

// attackerProc is a running "loadgen attacker".
type attackerProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// startAttacker runs self as "loadgen attacker" and returns once its flood
// is on (or it gave up waiting for the flood's login).
func startAttacker(self, url, source string, user int, o options, stderr io.Writer) (*attackerProc, error) {
	cmd, in, out, err := protocol.StartChild(self, []string{"attacker", "--url", url, "--source", source, "--user", fmt.Sprint(user),
		"--idle-rate", fmt.Sprint(o.IdleRate), "--guessers", fmt.Sprint(o.Guessers), "--idle=" + fmt.Sprint(o.AttackerIdle)}, stderr)
	if err != nil {
		return nil, fmt.Errorf("start attacker: %w", err)
	}
	p := &attackerProc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	if !p.out.Scan() || p.out.Text() != attackerStarted {
		p.kill()
		return nil, fmt.Errorf("attacker did not start: %q %v", p.out.Text(), p.out.Err())
	}
	return p, nil
}

// stop ends the attack and returns what the attacker saw, waiting at most
// timeout for it to wind down.
func (p *attackerProc) stop(timeout time.Duration) (AttackFigures, error) {
	_ = p.in.Close()
	timer := time.AfterFunc(timeout, func() { _ = p.cmd.Process.Kill() }) // then its stdout ends
	defer timer.Stop()
	var f AttackFigures
	var err error
	if p.out.Scan() {
		err = json.Unmarshal(p.out.Bytes(), &f)
	} else {
		err = errors.Join(errors.New("attacker ended without its figures"), p.out.Err())
	}
	if werr := p.cmd.Wait(); werr != nil && err == nil {
		err = fmt.Errorf("attacker: %w", werr)
	}
	return f, err
}

func (p *attackerProc) kill() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

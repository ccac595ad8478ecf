package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/notifypush/notify_push/adapters/config"
	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/app/wiring"
	"github.com/notifypush/notify_push/domain"
)

const sendUsage = `usage: notify_push send <channel> <json> [flags] [config.php], ` +
	`e.g. notify_push send notify_activity '{"user":"alice"}' (add --embedded for a running embedded server)`

// sendTimeout bounds the whole send command.
const sendTimeout = 10 * time.Second

// send publishes one event; the payload is checked against the channel first.
func send(ctx context.Context, args []string, env config.Lookup, stdout io.Writer) error {
	if len(args) < 2 || strings.HasPrefix(args[0], "-") || strings.HasPrefix(args[1], "-") {
		return fmt.Errorf("%w: %s", errUsage, sendUsage)
	}
	channel, payload := args[0], []byte(args[1])
	if _, err := domain.DecodeEvent(channel, payload); err != nil {
		if errors.Is(err, domain.ErrUnknownChannel) {
			return fmt.Errorf("%w: unknown channel %q (one of %s)", errUsage, channel, strings.Join(domain.Channels, ", "))
		}
		return fmt.Errorf("%w: payload for %s: %w", errUsage, channel, err)
	}
	dotenv, err := config.LoadDotEnv(".env")
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	res, err := config.Load(args[2:], env, dotenv)
	if err != nil {
		return fmt.Errorf("%w:\n%w", errUsage, err)
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if res.Config.Embedded {
		bind := res.Config.Bind
		if res.Sources["bind"] == config.FromDefault {
			bind = "127.0.0.1"
		}
		if err := sendEmbedded(ctx, net.JoinHostPort(bind, strconv.Itoa(res.Config.Port)), channel, payload); err != nil {
			return err
		}
	} else {
		if len(res.Config.RedisURLs) == 0 {
			return fmt.Errorf("%w: no Redis configured: set REDIS_URL (--redis-url), give config.php, or use --embedded", errUsage)
		}
		if err := sendRedis(ctx, res.Config, channel, payload); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "published on %s\n", channel)
	return nil
}

func sendRedis(ctx context.Context, cfg app.Config, channel string, payload []byte) error {
	pub, cleanup, err := wiring.InitializePublisher(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	defer cleanup()
	if err := pub.Publish(ctx, channel, payload); err != nil {
		return fmt.Errorf("publish to Redis: %w (is Redis running, and is REDIS_URL right?)", err)
	}
	return nil
}

func sendEmbedded(ctx context.Context, addr, channel string, payload []byte) error {
	url := "http://" + addr + "/embedded/publish/" + channel
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("publish to the embedded server at %s: %w (is `notify_push --embedded` running there?)", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("the embedded server refused the event: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

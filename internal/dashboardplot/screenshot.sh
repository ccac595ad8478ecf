#!/usr/bin/env bash
# Refreshes docs/img/dashboard.png (make dashboard-screenshot): a load run
# (bin/loadgen with LOADFLAGS, its own Redis, fake Nextcloud and SQLite)
# against bin/notify_push, whose /metrics a local Prometheus scrapes every second,
# plus a trickle of wrong-password logins from bin/test_client so that the
# login panels have failures to show; then dashboardplot draws the dashboard's
# panels from Prometheus over the run. Needs prometheus and gnuplot (Debian:
# prometheus, gnuplot-nox).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-docs/img/dashboard.png}
prom_port=${PROM_PORT:-19090}
read -r -a loadflags <<<"${LOADFLAGS:---conns 2000 --no-reference --ping-interval 5s --idle 15s}"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# loadgen picks the server's ports; the wrapper tells Prometheus (file-based
# discovery) and the failing-login loop where they are.
cat >"$work/notify_push" <<WRAP
#!/bin/sh
printf '[{"targets":["127.0.0.1:%s"],"labels":{"instance":"notify_push"}}]\n' "\$METRICS_PORT" >"$work/targets.json.tmp"
mv "$work/targets.json.tmp" "$work/targets.json"
echo "\$PORT" >"$work/port"
# Prometheus tries the new target before the server listens, so that its
# first scrape comes before loadgen's connect storms.
sleep 3
exec "$PWD/bin/notify_push" "\$@"
WRAP
chmod +x "$work/notify_push"
echo '[]' >"$work/targets.json"
cat >"$work/prometheus.yml" <<PROM
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: notify_push
    file_sd_configs:
      - files: ["$work/targets.json"]
        refresh_interval: 1s
PROM
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)
for _ in $(seq 30); do curl -fsS "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1 && break; sleep 1; done

start=$(date +%s)
bin/loadgen --server-bin "$work/notify_push" "${loadflags[@]}" >"$work/load-report.txt" 2> >(tee "$work/load-progress.txt" >&2) &
load=$!
pids+=($load)
(
  while [ ! -s "$work/port" ]; do sleep 1; done
  while kill -0 "$load" 2>/dev/null; do
    bin/test_client --timeout 2s --websocket "ws://127.0.0.1:$(cat "$work/port")/ws" mallory wrong >/dev/null 2>&1 || true
    sleep 0.5
  done
) &
pids+=($!)
wait "$load"
sleep 2 # the last scrapes
# The range ends with loadgen's last phase ("[  38.8 s] drain: ..."), before
# it closes its clients and stops the server: the stat panels show the last
# values.
last=$(sed -n 's/^\[ *\([0-9.]*\) s\].*/\1/p' "$work/load-progress.txt" | tail -n1)
end=$((start + ${last%.*} + 1))
# $__rate_interval as Grafana would set it for a 1 s scrape: 4 scrapes, rounded up.
go run ./internal/dashboardplot -prometheus "http://127.0.0.1:$prom_port" -start "$start" -end "$end" \
  -step 1s -rate-interval 5s -out "$out"
echo "== the load run (bin/loadgen ${loadflags[*]})"
cat "$work/load-report.txt"
echo "wrote $out ($start to $end)"

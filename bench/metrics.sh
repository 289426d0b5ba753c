#!/bin/sh
# What `record --metrics` costs the proxied traffic: two `record`s in front of one
# `claude-429 mock` (limits too high to reach), one with --metrics (scraped every second
# throughout), one without; sequential latency and concurrent throughput, the two runs
# interleaved so the machine's load falls on both alike.
#
#   bench/metrics.sh [BINARY] [N]      # default: target/release/claude-429, 2000
set -eu
BIN=${1:-target/release/claude-429}
N=${2:-2000}
HALF=$((N / 2))
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'kill $PIDS 2>/dev/null; rm -rf "$TMP"' EXIT
PIDS=""

addr() { # the first http:// address after "$2" in file $1, waiting for it
  for _ in $(seq 1 100); do
    a=$(grep -o "$2 http://[0-9.:]*" "$1" 2>/dev/null | head -1 | sed "s/.*http:/http:/")
    [ -n "$a" ] && { echo "$a"; return; }
    sleep 0.1
  done
  echo "no address in $1" >&2; exit 1
}

"$BIN" mock --scenario "$HERE/mock-load.toml" --listen 127.0.0.1:0 --for 300 \
  >/dev/null 2>"$TMP/mock.err" & PIDS="$PIDS $!"
MOCK=$(addr "$TMP/mock.err" "on")
"$BIN" record --upstream "$MOCK" --listen 127.0.0.1:0 --out "$TMP/a" \
  >/dev/null 2>"$TMP/a.err" & PIDS="$PIDS $!"
"$BIN" record --upstream "$MOCK" --listen 127.0.0.1:0 --metrics 127.0.0.1:0 --out "$TMP/b" \
  >/dev/null 2>"$TMP/b.err" & PIDS="$PIDS $!"
PLAIN=$(addr "$TMP/a.err" "listening on")
WITH=$(addr "$TMP/b.err" "listening on")
METRICS=$(addr "$TMP/b.err" "metrics on")
( while :; do curl -s -o /dev/null "$METRICS/metrics"; sleep 1; done ) & PIDS="$PIDS $!"

for round in 1 2; do
  printf 'round %s  without --metrics: ' "$round"; python3 "$HERE/record_load.py" latency "$PLAIN" "$HALF"
  printf 'round %s  with --metrics:    ' "$round"; python3 "$HERE/record_load.py" latency "$WITH" "$HALF"
done
printf 'throughput without: '; python3 "$HERE/record_load.py" load "$PLAIN" "$N" 8 0
printf 'throughput with:    '; python3 "$HERE/record_load.py" load "$WITH" "$N" 8 0
printf 'throughput without: '; python3 "$HERE/record_load.py" load "$PLAIN" "$N" 8 0
printf 'throughput with:    '; python3 "$HERE/record_load.py" load "$WITH" "$N" 8 0
curl -s "$METRICS/metrics" | grep '^claude_429_requests_total'

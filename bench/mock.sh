#!/usr/bin/env bash
# Requests per second and memory of `claude-429 mock` under load: small non-streamed
# POST /v1/messages over keep-alive connections, against bench/mock-load.toml (limits too
# high to reach, so every answer is a 200 and the server is what is measured). The mock
# records every exchange (--record) and runs diagnose's engine on all of them, as in a
# real rehearsal.
#
#   bench/mock.sh                       # 10 s, 64 connections
#   SECONDS_RUN=30 CONNS=128 bench/mock.sh
#   LOADGEN=wrk bench/mock.sh           # use wrk (apt-get install wrk) instead
#
# The load generator is wrk when LOADGEN=wrk and it is installed, else bench/mock_load.rs
# (standard library only, built here with rustc). Peak RSS comes from /usr/bin/time -v
# when it is installed; RSS is also sampled every 5 s to show it stays flat.
set -euo pipefail

cd "$(dirname "$0")/.."
SECONDS_RUN=${SECONDS_RUN:-10}
CONNS=${CONNS:-64}
PORT=${PORT:-18499}
BIN=${BIN:-target/release/claude-429}
LOADGEN=${LOADGEN:-rust}
OUT=${TMPDIR:-/tmp}/claude-429-mock-bench
mkdir -p "$OUT"

if [ "$BIN" = target/release/claude-429 ]; then
    cargo build --release --quiet
fi

TIME=()
if [ -x /usr/bin/time ]; then TIME=(/usr/bin/time -v -o "$OUT/time.txt"); fi
"${TIME[@]}" "$BIN" mock --scenario bench/mock-load.toml --listen "127.0.0.1:$PORT" \
    --record "$OUT/record.jsonl" --for $((SECONDS_RUN + 4)) --json > "$OUT/report.json" 2> "$OUT/mock.err" &
MOCK=$!
sleep 1
PID=$(pgrep -P "$MOCK" | head -1 || true); PID=${PID:-$MOCK}
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$PID/status" 2>/dev/null || echo "?"; }
# RSS every 5 s while the load runs: flat memory means these stop growing.
sample() { for t in $(seq 5 5 "$SECONDS_RUN"); do sleep 5; echo "RSS after $t s: $(rss)"; done; }

if [ "$LOADGEN" = wrk ] && command -v wrk > /dev/null; then
    cat > "$OUT/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}'
wrk.headers["content-type"] = "application/json"
wrk.headers["x-api-key"] = "sk-ant-bench"
LUA
    sample &
    wrk -t2 -c"$CONNS" -d"${SECONDS_RUN}s" -s "$OUT/post.lua" "http://127.0.0.1:$PORT/v1/messages"
else
    [ "$LOADGEN" = wrk ] && echo "bench: wrk is not installed; using bench/mock_load.rs" >&2
    command -v rustc > /dev/null || { echo "bench: rustc is needed to build the load generator" >&2; exit 2; }
    rustc -O --edition 2024 bench/mock_load.rs -o "$OUT/mock_load" 2> /dev/null \
        || rustc -O --edition 2021 bench/mock_load.rs -o "$OUT/mock_load"
    sample &
    "$OUT/mock_load" "127.0.0.1:$PORT" "$CONNS" "$SECONDS_RUN"
fi
echo "RSS at the end of the load: $(rss)"
wait "$MOCK" || true
echo "mock recorded $(wc -l < "$OUT/record.jsonl") exchanges ($(du -h "$OUT/record.jsonl" | cut -f1))"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('mock report: %d requests, statuses %s' % (r['requests'], r['statuses']))" "$OUT/report.json" 2> /dev/null || true
if [ -s "$OUT/time.txt" ]; then
    grep -E "Maximum resident|Elapsed|Percent of CPU" "$OUT/time.txt" | sed 's/^\s*/mock: /'
fi

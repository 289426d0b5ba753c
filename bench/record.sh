#!/usr/bin/env bash
# What `claude-429 record` costs: the latency it adds to a small non-streamed request on
# loopback (median of sequential requests, direct vs through the proxy), and its peak memory
# across 10,000 requests over 100 connections while 100 streamed answers run at once.
#
#   bench/record.sh
#   N=20000 CONC=100 STREAMS=100 bench/record.sh
#
# Needs: cargo, python3, /usr/bin/time. The upstream is bench/record_upstream.py (a fake
# Messages API on 127.0.0.1); the clients are bench/record_load.py (raw HTTP/1.1 keep-alive).
# Both are Python, so absolute times include Python's own cost; the difference between the
# direct and the proxied median is what the proxy adds.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/claude-429}
N=${N:-10000}
CONC=${CONC:-100}
STREAMS=${STREAMS:-100}
LAT_N=${LAT_N:-3000}
UP_PORT=${UP_PORT:-9471}
PX_PORT=${PX_PORT:-9472}
OUT=$(mktemp -d)
trap 'kill $UP_PID $PX_PID 2>/dev/null || true; rm -rf "$OUT"' EXIT

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
if [ "$BIN" = target/release/claude-429 ]; then cargo build --release --quiet; fi

python3 bench/record_upstream.py 127.0.0.1:$UP_PORT > "$OUT/upstream.log" 2>&1 &
UP_PID=$!
/usr/bin/time -v "$BIN" record --listen 127.0.0.1:$PX_PORT --upstream http://127.0.0.1:$UP_PORT \
    --out "$OUT/rec" > "$OUT/live.log" 2> "$OUT/proxy.err" &
PX_PID=$!
sleep 1
PROXY=$(pgrep -P $PX_PID -f "claude-429 record" || echo $PX_PID)

rss() { awk '/VmRSS/ {print $2 " kB"}' /proc/$PROXY/status; }

echo "== latency of a small non-streamed request ($LAT_N sequential, keep-alive)"
echo -n "direct:        "; python3 bench/record_load.py latency http://127.0.0.1:$UP_PORT $LAT_N
echo -n "through record: "; python3 bench/record_load.py latency http://127.0.0.1:$PX_PORT $LAT_N
echo "proxy RSS after the latency runs: $(rss)"

echo "== load: $N requests over $CONC connections, $STREAMS concurrent streams"
python3 bench/record_load.py load http://127.0.0.1:$PX_PORT $N $CONC $STREAMS
echo "proxy RSS after load 1: $(rss)"
python3 bench/record_load.py load http://127.0.0.1:$PX_PORT $N $CONC $STREAMS
echo "proxy RSS after load 2: $(rss)"

kill -INT $PROXY
wait $PX_PID || true
echo "records written: $(cat "$OUT"/rec/*.jsonl | wc -l) lines, $(du -sh "$OUT/rec" | cut -f1)"
grep -E "Maximum resident set size|Elapsed" "$OUT/proxy.err" | sed 's/^\s*/proxy /'

echo "== status on a 100 MB record directory"
python3 - "$OUT/big" <<'PY'
import json, os, sys, datetime
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
now = datetime.datetime.now(datetime.timezone.utc)
day = now.strftime("%Y-%m-%d")
line_of = lambda i: json.dumps({"ts": (now - datetime.timedelta(seconds=(200000 - i) * 0.002)).isoformat().replace("+00:00", "Z"),
    "method": "POST", "url": "https://api.anthropic.com/v1/messages", "status": 200,
    "duration_ms": 812.5, "ttfb_ms": 401.2, "headers": {
    "anthropic-ratelimit-requests-limit": "4000", "anthropic-ratelimit-requests-remaining": str(4000 - i % 4000),
    "anthropic-ratelimit-requests-reset": "2099-01-01T00:00:00Z",
    "anthropic-ratelimit-input-tokens-limit": "2000000", "anthropic-ratelimit-input-tokens-remaining": "1500000",
    "anthropic-ratelimit-input-tokens-reset": "2099-01-01T00:00:00Z", "content-type": "application/json",
    "request-id": "req_011CBench%08d" % i}, "usage": {"input_tokens": 1200, "output_tokens": 300},
    "request": {"model": "claude-sonnet-4-5", "max_tokens": 1024, "stream": True, "bytes": 5000}})
with open(os.path.join(d, day + ".jsonl"), "w") as f:
    i = 0
    while f.tell() < 100 * 1024 * 1024:
        f.write(line_of(i) + "\n"); i += 1
PY
du -sh "$OUT/big" | sed 's/^/record directory: /'
"$BIN" status "$OUT/big" > /dev/null  # warm the page cache
python3 - "$BIN" "$OUT/big" <<'PY'
import statistics, subprocess, sys, time
ts = []
for _ in range(30):
    t = time.perf_counter()
    out = subprocess.run([sys.argv[1], "status", sys.argv[2]], capture_output=True, text=True).stdout
    ts.append((time.perf_counter() - t) * 1000)
print("status (30 runs, process start included): min %.1f ms, median %.1f ms: %s"
      % (min(ts), statistics.median(ts), out.strip()))
PY

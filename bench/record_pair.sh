#!/usr/bin/env bash
# `record` in front of `mock` against `mock` directly: requests per second at 50 keep-alive
# connections (small non-streamed POST /v1/messages), alternating direct / through record,
# and the median of the per-pair ratios (issue 31 asks for >= 0.75). Also the CPU time the
# record process spends per request (from /proc/PID/stat), the figure that survives a busy
# machine.
#
#   bench/record_pair.sh                      # 5 pairs of 5 s runs
#   PAIRS=7 SECS=10 CONNS=50 bench/record_pair.sh
#   BIN=/path/to/other/claude-429 bench/record_pair.sh
#   PROXY=nginx bench/record_pair.sh          # nginx in record's place (the yardstick)
#
# Needs: wrk (apt-get install wrk), awk. Everything listens on 127.0.0.1 and stops by itself.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/claude-429}
PAIRS=${PAIRS:-5}
SECS=${SECS:-5}
CONNS=${CONNS:-50}
THREADS=${THREADS:-2}
MOCK_PORT=${MOCK_PORT:-18571}
PX_PORT=${PX_PORT:-18572}
PROXY=${PROXY:-record}
OUT=$(mktemp -d)
MOCK_PID=; PX_PID=
trap 'kill $MOCK_PID $PX_PID 2>/dev/null || true; rm -rf "$OUT"' EXIT

command -v wrk > /dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 2; }
if [ "$BIN" = target/release/claude-429 ]; then cargo build --release --quiet; fi

cat > "$OUT/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}'
wrk.headers["content-type"] = "application/json"
wrk.headers["x-api-key"] = "sk-ant-bench"
wrk.headers["anthropic-version"] = "2023-06-01"
LUA

# Both servers stop by themselves (mock after --for; record is sent SIGINT at exit).
TOTAL=$(( PAIRS * (SECS + 1) * 2 + 30 ))
"$BIN" mock --scenario bench/mock-load.toml --listen 127.0.0.1:$MOCK_PORT --for $TOTAL \
    > "$OUT/mock.out" 2> "$OUT/mock.err" &
MOCK_PID=$!
if [ "$PROXY" = nginx ]; then
    command -v nginx > /dev/null || { echo "bench: nginx is missing (apt-get install nginx-light)" >&2; exit 2; }
    # A plain reverse proxy with keep-alive upstream connections, logging off: the least a
    # proxy in this place can cost.
    cat > "$OUT/nginx.conf" <<NGINX
worker_processes ${NGINX_WORKERS:-auto};
daemon off;
pid $OUT/nginx.pid;
error_log $OUT/nginx.err;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $OUT; proxy_temp_path $OUT; fastcgi_temp_path $OUT;
    uwsgi_temp_path $OUT; scgi_temp_path $OUT;
    upstream mock { server 127.0.0.1:$MOCK_PORT; keepalive 64; }
    server {
        listen 127.0.0.1:$PX_PORT;
        location / {
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
NGINX
    nginx -c "$OUT/nginx.conf" -p "$OUT" 2> "$OUT/record.err" &
    PX_PID=$!
else
    "$BIN" record --listen 127.0.0.1:$PX_PORT --upstream http://127.0.0.1:$MOCK_PORT \
        --out "$OUT/rec" > "$OUT/live.log" 2> "$OUT/record.err" &
    PX_PID=$!
fi
sleep 1

# utime + stime in clock ticks, of the process and its children (nginx's workers)
cpu() {
    local t=0 p
    for p in $1 $(pgrep -P "$1" || true); do
        t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat") ))
    done
    echo $t
}
HZ=$(getconf CLK_TCK)
run() {  # URL -> "requests/s requests p99"
    wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$OUT/post.lua" "$1" > "$OUT/wrk.txt"
    local rps n p99
    rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/wrk.txt")
    n=$(awk '/requests in/ {print $1}' "$OUT/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk.txt")
    if grep -q "Non-2xx" "$OUT/wrk.txt"; then echo "bench: non-2xx answers:" >&2; cat "$OUT/wrk.txt" >&2; fi
    echo "$rps $n $p99"
}

run "http://127.0.0.1:$MOCK_PORT/v1/messages" > /dev/null   # warm-up
run "http://127.0.0.1:$PX_PORT/v1/messages" > /dev/null
printf "%-5s %11s %8s %11s %8s %6s %14s %12s\n" pair "direct rps" p99 "$PROXY rps" p99 ratio "$PROXY us/req" "mock us/req"
ratios=(); usreq=(); mockus=()
per_req() { awk -v t="$1" -v hz="$HZ" -v n="$2" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}'; }
for i in $(seq 1 "$PAIRS"); do
    m0=$(cpu $MOCK_PID)
    read -r d_rps d_n d_p99 < <(run "http://127.0.0.1:$MOCK_PORT/v1/messages")
    m1=$(cpu $MOCK_PID)
    c0=$(cpu $PX_PID)
    read -r r_rps r_n r_p99 < <(run "http://127.0.0.1:$PX_PORT/v1/messages")
    c1=$(cpu $PX_PID)
    ratio=$(awk -v a="$r_rps" -v b="$d_rps" 'BEGIN {printf "%.3f", a / b}')
    us=$(per_req $((c1 - c0)) "$r_n"); mus=$(per_req $((m1 - m0)) "$d_n")
    ratios+=("$ratio"); usreq+=("$us"); mockus+=("$mus")
    printf "%-5s %11s %8s %11s %8s %6s %14s %12s\n" "$i" "$d_rps" "$d_p99" "$r_rps" "$r_p99" "$ratio" "$us" "$mus"
done
median() { printf "%s\n" "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo "median ratio ($PROXY / direct): $(median "${ratios[@]}")"
echo "median CPU per request: $PROXY $(median "${usreq[@]}") us, mock (direct) $(median "${mockus[@]}") us"
if [ "$PROXY" = nginx ]; then
    kill -QUIT $PX_PID; wait $PX_PID || true; PX_PID=
else
    kill -INT $PX_PID; wait $PX_PID || true; PX_PID=
    echo "records written: $(cat "$OUT"/rec/*.jsonl | wc -l); live failure lines: $(wc -l < "$OUT/live.log")"
fi

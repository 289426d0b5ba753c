#!/usr/bin/env bash
# Throughput, peak memory and start-up of claude-429 on a generated JSON Lines log, against
# a straightforward Python classifier (bench/naive_classifier.py).
#
#   bench/run.sh                 # 260 MB log, 1% failures
#   SIZE_MB=1024 bench/run.sh    # a bigger one (memory must stay flat)
#   THREADS=1 bench/run.sh       # one worker (CLAUDE_429_THREADS)
#
# Needs: cargo, python3, /usr/bin/time (Debian package `time`). The data is generated once
# into $BENCH_DIR and reused; every run reads it from the page cache (it is read once
# first). Times are the best of $RUNS runs, measured with the shell clock; peak RSS comes
# from /usr/bin/time -v.
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-260}
FAIL_RATE=${FAIL_RATE:-0.01}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/claude-429-bench}
SKIP_PYTHON=${SKIP_PYTHON:-0}
BIN=${BIN:-target/release/claude-429}

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
if [ -n "${THREADS:-}" ]; then export CLAUDE_429_THREADS=$THREADS; fi
unset CI  # no progress bar either way (stderr is not a terminal here), but be explicit

if [ "$BIN" = target/release/claude-429 ]; then
    cargo build --release --quiet
fi
mkdir -p "$BENCH_DIR"
LOG="$BENCH_DIR/log-${SIZE_MB}mb-${FAIL_RATE}.jsonl"
if [ ! -s "$LOG" ]; then
    python3 bench/gen.py "$LOG" "$SIZE_MB" "$FAIL_RATE"
fi
BYTES=$(stat -c %s "$LOG")
cat "$LOG" > /dev/null  # into the page cache

now_ns() { date +%s%N; }

# measure NAME CMD...: best wall time of $RUNS runs and the peak RSS of the last one.
measure() {
    local name=$1; shift
    local best="" rss=0 t0 t1 dt
    for _ in $(seq "$RUNS"); do
        t0=$(now_ns)
        /usr/bin/time -v -o "$BENCH_DIR/time.txt" "$@" > "$BENCH_DIR/out-$name" 2>"$BENCH_DIR/err-$name" || true
        t1=$(now_ns)
        dt=$(( t1 - t0 ))
        if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then best=$dt; fi
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$BENCH_DIR/time.txt")
    done
    local secs mbs
    secs=$(awk -v ns="$best" 'BEGIN {printf "%.3f", ns / 1e9}')
    mbs=$(awk -v b="$BYTES" -v ns="$best" 'BEGIN {printf "%.0f", b / 1e6 / (ns / 1e9)}')
    printf '%-22s %8s s %8s MB/s %8.1f MB peak RSS\n' "$name" "$secs" "$mbs" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')"
    eval "T_$name=$best"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
echo "input:   $LOG ($(awk -v b="$BYTES" 'BEGIN {printf "%.1f MB", b / 1e6}'), $(wc -l < "$LOG") lines, failure rate $FAIL_RATE)"
echo "threads: ${CLAUDE_429_THREADS:-one per core}"
echo

measure replay_jsonl "$BIN" replay --jsonl "$LOG"
measure replay_json "$BIN" replay --json "$LOG"
measure diagnose_json "$BIN" diagnose --json "$LOG"
measure diagnose_text "$BIN" diagnose "$LOG"
if [ "$SKIP_PYTHON" != 1 ]; then
    RUNS=1 measure python_naive python3 bench/naive_classifier.py "$LOG"
    echo
    awk -v p="$T_python_naive" -v r="$T_replay_jsonl" -v d="$T_diagnose_json" \
        'BEGIN {printf "replay --jsonl is %.1fx faster than the Python script; diagnose --json %.1fx\n", p / r, p / d}'
    # Same failures found?
    ours=$(wc -l < "$BENCH_DIR/out-replay_jsonl")
    theirs=$(wc -l < "$BENCH_DIR/out-python_naive")
    echo "failures: claude-429 $ours, python $theirs"
fi

# Start-up: the mean of 100 runs of --version and of replay on an empty file.
: > "$BENCH_DIR/empty.log"
startup() {
    local t0 t1
    t0=$(now_ns)
    for _ in $(seq 100); do "$@" > /dev/null 2>&1 || true; done
    t1=$(now_ns)
    awk -v ns=$(( t1 - t0 )) 'BEGIN {printf "%.2f ms", ns / 100 / 1e6}'
}
echo "start-up: --version $(startup "$BIN" --version), replay of an empty file $(startup "$BIN" replay "$BENCH_DIR/empty.log")"

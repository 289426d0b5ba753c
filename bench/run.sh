#!/usr/bin/env bash
# Throughput, peak memory and start-up of claude-429 on generated logs in the three formats
# people have, each against a straightforward Python script that finds the same failures:
#
# * a JSON Lines exchange log (bench/gen.py)          vs bench/naive_classifier.py
# * a Python service's plain-text log (gen_text.py)   vs bench/naive_text.py
# * a HAR export (gen_har.py)                         vs bench/naive_har.py (json.load)
# * memory: a failure-dense JSON Lines log spanning 36 days, with 8 workers
#
#   bench/run.sh                 # 260 MB JSONL, 200 MB text, 240 MB HAR, 127 MB 36-day JSONL
#   SIZE_MB=1024 bench/run.sh    # a bigger JSONL log (memory must stay flat)
#   THREADS=1 bench/run.sh       # one worker (CLAUDE_429_THREADS)
#   FORMATS="text har" bench/run.sh   # only some sections (jsonl text har span)
#
# Then the pairs issue 31 reports, each run alternately (A B A B ..., $PAIRS pairs) and
# compared by median, so a busy machine slows both sides alike: text `replay` vs the
# reference script ref_text.py, JSON Lines `replay` vs `rg -c 429` (when rg is installed),
# HAR `replay` vs ref_har.py, and the median start-up of `replay` on a 1 KB text file. The
# reference scripts come from $PERF_TOOLS (default ../shared/tools/perf); a pair whose
# reference is missing is skipped with a note.
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
TEXT_MB=${TEXT_MB:-200}
HAR_MB=${HAR_MB:-240}
SPAN_MB=${SPAN_MB:-127}
FORMATS=${FORMATS:-jsonl text har span}
PAIRS=${PAIRS:-5}
PERF_TOOLS=${PERF_TOOLS:-../shared/tools/perf}
BIN=${BIN:-target/release/claude-429}

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
if [ -n "${THREADS:-}" ]; then export CLAUDE_429_THREADS=$THREADS; fi
unset CI  # no progress bar either way (stderr is not a terminal here), but be explicit

if [ "$BIN" = target/release/claude-429 ]; then
    cargo build --release --quiet
fi
mkdir -p "$BENCH_DIR"
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

# input PATH GENERATOR ARGS...: generates PATH once, reads it into the page cache.
input() {
    local path=$1; shift
    if [ ! -s "$path" ]; then "$@"; fi
    BYTES=$(stat -L -c %s "$path")
    cat "$path" > /dev/null
    echo "input:   $path ($(awk -v b="$BYTES" 'BEGIN {printf "%.1f MB", b / 1e6}'), $(wc -l < "$path") lines)"
}

# paired NAME_A NAME_B CMD_A -- CMD_B: runs A and B alternately ($PAIRS pairs, B first every
# other pair), prints both medians and B's median over A's. Output goes to $BENCH_DIR.
paired() {
    local na=$1 nb=$2; shift 2
    local -a a=() b=()
    while [ "$1" != -- ]; do a+=("$1"); shift; done
    shift; b=("$@")
    # Microseconds from bash's own clock (EPOCHREALTIME): no `date` process in the timed span.
    local ta=() tb=() t0 i
    for i in $(seq "$PAIRS"); do
        for side in $( [ $((i % 2)) = 1 ] && echo "a b" || echo "b a"); do
            t0=${EPOCHREALTIME/./}
            if [ "$side" = a ]; then "${a[@]}" > "$BENCH_DIR/out-$na" 2>/dev/null || true; ta+=($(( ${EPOCHREALTIME/./} - t0 )))
            else "${b[@]}" > "$BENCH_DIR/out-$nb" 2>/dev/null || true; tb+=($(( ${EPOCHREALTIME/./} - t0 ))); fi
        done
    done
    median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
    local ma mb
    ma=$(median "${ta[@]}"); mb=$(median "${tb[@]}")
    awk -v na="$na" -v nb="$nb" -v a="$ma" -v b="$mb" -v n="$PAIRS" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
        'BEGIN {printf "pair: %-14s %9.2f ms  %-14s %9.2f ms  %s/%s = %.2f, %.1fx (medians of %d pairs, load %s)\n", na, a / 1e3, nb, b / 1e3, nb, na, b / a, a / b, n, l}'
}

ratio() { awk -v p="$1" -v r="$2" 'BEGIN {printf "%.1fx", p / r}'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
echo "threads: ${CLAUDE_429_THREADS:-one per core}"

case " $FORMATS " in *" jsonl "*)
    echo; echo "== JSON Lines exchange log (failure rate $FAIL_RATE)"
    LOG="$BENCH_DIR/log-${SIZE_MB}mb-${FAIL_RATE}.jsonl"
    input "$LOG" python3 bench/gen.py "$LOG" "$SIZE_MB" "$FAIL_RATE"
    measure replay_jsonl "$BIN" replay --jsonl "$LOG"
    measure replay_json "$BIN" replay --json "$LOG"
    measure diagnose_json "$BIN" diagnose --json "$LOG"
    measure diagnose_text "$BIN" diagnose "$LOG"
    if [ "$SKIP_PYTHON" != 1 ]; then
        RUNS=1 measure python_naive python3 bench/naive_classifier.py "$LOG"
        echo "replay --jsonl is $(ratio "$T_python_naive" "$T_replay_jsonl") faster than the Python script; diagnose --json $(ratio "$T_python_naive" "$T_diagnose_json")"
        echo "failures: claude-429 $(wc -l < "$BENCH_DIR/out-replay_jsonl"), python $(wc -l < "$BENCH_DIR/out-python_naive")"
    fi
    if command -v rg > /dev/null; then
        paired rg_count replay_jsonl rg -c 429 "$LOG" -- "$BIN" replay --jsonl "$LOG"
    else
        echo "pair: rg is not installed: replay vs rg -c 429 skipped"
    fi
;; esac

case " $FORMATS " in *" text "*)
    echo; echo "== Python service text log (about 1 incident per 1,000 lines)"
    LOG="$BENCH_DIR/app-${TEXT_MB}mb.log"
    input "$LOG" python3 bench/gen_text.py "$LOG" "$TEXT_MB"
    measure text_replay "$BIN" replay --jsonl "$LOG"
    measure text_diagnose "$BIN" diagnose --json "$LOG"
    if [ "$SKIP_PYTHON" != 1 ]; then
        measure text_python python3 bench/naive_text.py "$LOG"
        echo "replay is $(ratio "$T_text_python" "$T_text_replay") faster than the Python script; diagnose --json $(ratio "$T_text_python" "$T_text_diagnose")"
        echo "failures: claude-429 $(wc -l < "$BENCH_DIR/out-text_replay"), python $(wc -l < "$BENCH_DIR/out-text_python")"
    fi
    if [ -f "$PERF_TOOLS/ref_text.py" ]; then
        paired ref_text text_replay python3 "$PERF_TOOLS/ref_text.py" "$LOG" -- "$BIN" replay "$LOG"
        paired ref_text text_diagnose python3 "$PERF_TOOLS/ref_text.py" "$LOG" -- "$BIN" diagnose "$LOG"
    else
        echo "pair: $PERF_TOOLS/ref_text.py is missing: text pairs skipped"
    fi
    # Start-up: a 1 KB text file (the log's first whole lines).
    head -c 1100 "$LOG" | head -n -1 > "$BENCH_DIR/1k.log"
    PAIRS=$(( PAIRS * 20 )) paired version replay_1kb "$BIN" --version -- "$BIN" replay "$BENCH_DIR/1k.log"
;; esac

case " $FORMATS " in *" har "*)
    echo; echo "== HAR export (1% failures)"
    LOG="$BENCH_DIR/export-${HAR_MB}mb.har"
    input "$LOG" python3 bench/gen_har.py "$LOG" "$HAR_MB"
    measure har_replay "$BIN" replay --jsonl "$LOG"
    if [ "$SKIP_PYTHON" != 1 ]; then
        measure har_python python3 bench/naive_har.py "$LOG"
        echo "replay is $(ratio "$T_har_python" "$T_har_replay") faster than the json.load script"
        echo "failures: claude-429 $(wc -l < "$BENCH_DIR/out-har_replay"), python $(wc -l < "$BENCH_DIR/out-har_python")"
    fi
    if [ -f "$PERF_TOOLS/ref_har.py" ]; then
        paired ref_har har_replay python3 "$PERF_TOOLS/ref_har.py" "$LOG" -- "$BIN" replay "$LOG"
    else
        echo "pair: $PERF_TOOLS/ref_har.py is missing: HAR pair skipped"
    fi
;; esac

case " $FORMATS " in *" span "*)
    echo; echo "== Memory: failure-dense JSON Lines log over 36 days, 8 workers"
    LOG="$BENCH_DIR/span-${SPAN_MB}mb-36d.jsonl"
    input "$LOG" python3 bench/gen.py "$LOG" "$SPAN_MB" 0.2 36
    (
        export CLAUDE_429_THREADS=8
        measure span_replay "$BIN" replay --json "$LOG"
        measure span_diagnose "$BIN" diagnose --json "$LOG"
    )
    # The timeline is bounded: the last 3 days per minute, older minutes folded into hours.
    python3 -c 'import collections, json, sys
t = json.load(open(sys.argv[1]))["timeline"]
w = collections.Counter(m.get("width_minutes", 1) for m in t)
print("diagnose timeline entries:", len(t), "by width in minutes:", dict(sorted(w.items())))' \
        "$BENCH_DIR/out-span_diagnose" || true
;; esac

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

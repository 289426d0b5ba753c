#!/usr/bin/env bash
# The pairs issue 31 asks for, on the shared generators of ../shared/tools/perf, each run
# alternately (A B A B ..., B first every other pair) so a busy machine slows both sides
# alike, and compared by median, with CPU time (user + sys) beside wall time:
#
#   text      gen_textlog.py 200        replay, diagnose      vs ref_text.py
#   jsonl     gen_jsonl.py 200000       replay                vs rg -c 429 (when rg is installed)
#                                       diagnose              vs replay
#   har       jsonl2har.py ... 60000    replay                vs ref_har.py
#   memory    gen_worst.py 260000       replay --json, diagnose --json, 8 workers: peak RSS
#   startup   a 1 KB text file          replay                (median of many runs)
#   ab        the text, JSON Lines and failure-dense logs: replay and diagnose of an older
#             build ($BASE) against this one, for a step's paired ratio (not in the default)
#
#   bench/pairs.sh                      # everything, 5 pairs each
#   PAIRS=9 SECTIONS="text jsonl" bench/pairs.sh
#   BIN=/path/to/other/claude-429 bench/pairs.sh
#   BASE=/tmp/old-claude-429 SECTIONS=ab PAIRS=11 bench/pairs.sh
#   BUSY=1 bench/pairs.sh               # with one core kept busy (a spinning process) throughout:
#                                       # the per-core question, where CPU time is the time
#
# Needs: cargo, python3, /usr/bin/time (Debian package `time`), optionally rg (ripgrep). The
# data is generated once into $BENCH_DIR and read into the page cache before timing.
set -euo pipefail

cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-5}
SECTIONS=${SECTIONS:-text jsonl har memory startup}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/claude-429-pairs}
PERF_TOOLS=${PERF_TOOLS:-../shared/tools/perf}
BIN=${BIN:-target/release/claude-429}

[ -x /usr/bin/time ] || { echo "pairs: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
[ -d "$PERF_TOOLS" ] || { echo "pairs: $PERF_TOOLS is missing (set PERF_TOOLS)" >&2; exit 2; }
if [ "$BIN" = target/release/claude-429 ]; then cargo build --release --quiet; fi
mkdir -p "$BENCH_DIR"
unset CI

# gen PATH CMD...: makes PATH once, then reads it into the page cache.
gen() {
    local path=$1; shift
    if [ ! -s "$path" ]; then "$@" > /dev/null 2>&1; fi
    cat "$path" > /dev/null
    echo "input: $path ($(stat -L -c %s "$path" | awk '{printf "%.1f MB", $1 / 1e6}'))"
}

# run NAME CMD...: one timed run; appends "wall cpu peak_kib" to $BENCH_DIR/t-NAME.
run() {
    local name=$1; shift
    local t0=${EPOCHREALTIME/./}
    /usr/bin/time -f '%e %U %S %M' -o "$BENCH_DIR/one" "$@" > "$BENCH_DIR/out-$name" 2>/dev/null || true
    local us=$(( ${EPOCHREALTIME/./} - t0 ))
    # The last line: time(1) writes "Command exited with non-zero status 1" first when the
    # command exits non-zero (replay does: it found failures).
    # Wall time from bash's microsecond clock (time(1)'s %e has 10 ms steps); CPU and peak
    # RSS from time(1).
    tail -n 1 "$BENCH_DIR/one" | awk -v us="$us" '{printf "%.4f %.3f %s\n", us / 1e6, $2 + $3, $4}' >> "$BENCH_DIR/t-$name"
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
col() { awk -v c="$2" '{print $c}' "$BENCH_DIR/t-$1" | median; }

# paired NAME_A NAME_B CMD_A -- CMD_B: prints both medians (wall, CPU, peak RSS) and B/A.
paired() {
    local na=$1 nb=$2; shift 2
    local -a a=() b=()
    while [ "$1" != -- ]; do a+=("$1"); shift; done
    shift; b=("$@")
    rm -f "$BENCH_DIR/t-$na" "$BENCH_DIR/t-$nb"
    local i
    for i in $(seq "$PAIRS"); do
        if [ $((i % 2)) = 1 ]; then run "$na" "${a[@]}"; run "$nb" "${b[@]}"
        else run "$nb" "${b[@]}"; run "$na" "${a[@]}"; fi
    done
    awk -v na="$na" -v nb="$nb" -v aw="$(col "$na" 1)" -v bw="$(col "$nb" 1)" \
        -v ac="$(col "$na" 2)" -v bc="$(col "$nb" 2)" -v ar="$(col "$na" 3)" -v br="$(col "$nb" 3)" \
        -v n="$PAIRS" -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
        printf "%-16s wall %7.3f s  cpu %7.3f s  peak %6.1f MiB\n", na, aw, ac, ar / 1024
        printf "%-16s wall %7.3f s  cpu %7.3f s  peak %6.1f MiB\n", nb, bw, bc, br / 1024
        printf "  %s / %s: wall %.2f (%.2fx), cpu %.2f  (medians of %d pairs, load %s)\n", nb, na, bw / aw, aw / bw, bc / ac, n, l }'
}

echo "machine: $(nproc) cores, $(uname -sr); binary: $BIN ($("$BIN" --version))"
if [ "${BUSY:-0}" = 1 ]; then
    # One core taken by a spinning process for the whole run (stopped on exit).
    yes > /dev/null &
    BUSY_PID=$!
    trap 'kill $BUSY_PID 2>/dev/null || true' EXIT
    echo "one core kept busy (pid $BUSY_PID)"
fi

case " $SECTIONS " in *" text "*)
    echo; echo "== text log: gen_textlog.py 200"
    LOG="$BENCH_DIR/textlog-200.log"
    gen "$LOG" python3 "$PERF_TOOLS/gen_textlog.py" 200 "$LOG"
    paired ref_text replay python3 "$PERF_TOOLS/ref_text.py" "$LOG" -- "$BIN" replay "$LOG"
    paired ref_text diagnose python3 "$PERF_TOOLS/ref_text.py" "$LOG" -- "$BIN" diagnose "$LOG"
;; esac

case " $SECTIONS " in *" jsonl "*|*" har "*)
    JSONL="$BENCH_DIR/jsonl-200000.jsonl"
    gen "$JSONL" python3 "$PERF_TOOLS/gen_jsonl.py" 200000 "$JSONL"
;; esac

case " $SECTIONS " in *" jsonl "*)
    echo; echo "== JSON Lines: gen_jsonl.py 200000"
    if command -v rg > /dev/null; then
        paired rg_count replay rg -c 429 "$JSONL" -- "$BIN" replay "$JSONL"
    else
        echo "pair: rg is not installed: replay vs rg -c 429 skipped"
    fi
    paired replay diagnose "$BIN" replay "$JSONL" -- "$BIN" diagnose "$JSONL"
;; esac

case " $SECTIONS " in *" har "*)
    echo; echo "== HAR: jsonl2har.py of the JSON Lines log, 60000 entries"
    HAR="$BENCH_DIR/har-60000.har"
    gen "$HAR" python3 "$PERF_TOOLS/jsonl2har.py" "$JSONL" "$HAR" 60000
    paired ref_har replay python3 "$PERF_TOOLS/ref_har.py" "$HAR" -- "$BIN" replay "$HAR"
    paired replay diagnose "$BIN" replay "$HAR" -- "$BIN" diagnose "$HAR"
;; esac

case " $SECTIONS " in *" memory "*)
    echo; echo "== memory: gen_worst.py 260000, CLAUDE_429_THREADS=8"
    WORST="$BENCH_DIR/worst-260000.jsonl"
    gen "$WORST" python3 "$PERF_TOOLS/gen_worst.py" 260000 "$WORST"
    (
        export CLAUDE_429_THREADS=8
        paired replay_json diagnose_json "$BIN" replay --json "$WORST" -- "$BIN" diagnose --json "$WORST"
    )
;; esac

case " $SECTIONS " in *" ab "*)
    [ -x "${BASE:-}" ] || { echo "pairs: the ab section needs BASE=/path/to/an/older/claude-429" >&2; exit 2; }
    echo; echo "== ab: $BASE ($("$BASE" --version)) against $BIN"
    for input in textlog-200.log jsonl-200000.jsonl worst-260000.jsonl; do
        [ -s "$BENCH_DIR/$input" ] || { echo "ab: $BENCH_DIR/$input is missing (run the text, jsonl and memory sections once)"; continue; }
        cat "$BENCH_DIR/$input" > /dev/null
        for cmd in replay diagnose; do
            echo "$cmd $input"
            paired "base_$cmd" "new_$cmd" "$BASE" "$cmd" "$BENCH_DIR/$input" -- "$BIN" "$cmd" "$BENCH_DIR/$input"
        done
    done
;; esac

case " $SECTIONS " in *" startup "*)
    echo; echo "== start-up: replay of a 1 KB text file"
    SMALL="$BENCH_DIR/1k.log"
    gen "$BENCH_DIR/textlog-2.log" python3 "$PERF_TOOLS/gen_textlog.py" 2 "$BENCH_DIR/textlog-2.log" --fail-rate 0.01
    head -c 1100 "$BENCH_DIR/textlog-2.log" | head -n -1 > "$SMALL"
    # Microseconds from bash's own clock over many runs: /usr/bin/time has 10 ms resolution.
    for name in version replay_1kb; do
        : > "$BENCH_DIR/t-$name"
    done
    for _ in $(seq $(( PAIRS * 40 ))); do
        t0=${EPOCHREALTIME/./}; "$BIN" --version > /dev/null; echo $(( ${EPOCHREALTIME/./} - t0 )) >> "$BENCH_DIR/t-version"
        t0=${EPOCHREALTIME/./}; "$BIN" replay "$SMALL" > /dev/null || true; echo $(( ${EPOCHREALTIME/./} - t0 )) >> "$BENCH_DIR/t-replay_1kb"
    done
    printf 'median: --version %.2f ms, replay of 1 KB %.2f ms (%d runs each)\n' \
        "$(median < "$BENCH_DIR/t-version" | awk '{print $1 / 1000}')" \
        "$(median < "$BENCH_DIR/t-replay_1kb" | awk '{print $1 / 1000}')" $(( PAIRS * 40 ))
;; esac

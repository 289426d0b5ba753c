#!/usr/bin/env bash
# Byte-identical output check for speed work: runs two builds of claude-429 on every fixture,
# every example and the given generated inputs with `replay`, `replay --json`, `diagnose` and
# `diagnose --json`, and compares stdout and the exit status.
#
#   bench/same_output.sh OLD_BIN NEW_BIN [EXTRA_INPUT ...]
#
# Prints one line per difference and a count; exits 1 when anything differs.
set -uo pipefail

cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: bench/same_output.sh OLD_BIN NEW_BIN [INPUT ...]" >&2; exit 2; }
OLD=$1 NEW=$2; shift 2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export NO_COLOR=1
export CLAUDE_429_HISTORY="$TMP/history.jsonl"  # no stored history in the comparison
unset CI

inputs=()
while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find tests/fixtures examples -type f -print0 | sort -z)
inputs+=("$@")

runs=0 diffs=0
for f in "${inputs[@]}"; do
    for cmd in "replay" "replay --json" "diagnose" "diagnose --json"; do
        # shellcheck disable=SC2086
        "$OLD" $cmd "$f" > "$TMP/a" 2>/dev/null; ea=$?
        # shellcheck disable=SC2086
        "$NEW" $cmd "$f" > "$TMP/b" 2>/dev/null; eb=$?
        runs=$((runs + 1))
        if [ "$ea" != "$eb" ] || ! cmp -s "$TMP/a" "$TMP/b"; then
            diffs=$((diffs + 1))
            echo "differs: $cmd $f (exit $ea vs $eb)"
        fi
    done
done
echo "$runs runs, $diffs differ"
[ "$diffs" = 0 ]

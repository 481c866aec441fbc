#!/usr/bin/env bash
# Sharded simulation on a local Ray: 1 shard against 2 shards over the same episodes, alternating, each with one
# thread per shard (the default) and with a writer thread per shard's log (--log-writer-thread), plus a control that
# says what the machine's cores deliver to two independent CPU-bound processes at that moment (no Ray, no log).
# Usage: scripts/ray-shards.sh [EPISODES] [ROUNDS]   (from the repository, after `make ray` and a release build)
# Prints one line per run; docs/scaling.md ("Sharded simulation") quotes its output.
set -euo pipefail
EPISODES=${1:-4000}
ROUNDS=${2:-3}
CLI=${MTFSIM_CLI:-.build/release/mtfsim}
PY=${PYTHON:-.venv-ray/bin/python}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

control() {
    # One no-log simulate of 2N episodes, then two of N at once: the throughput ratio two processes get.
    local n=$((EPISODES / 8)) one start end
    one=$( { /usr/bin/time -f %e "$CLI" simulate --episodes 0..$((2 * n)) --threads 1 --no-log --json >/dev/null; } 2>&1 )
    start=$(date +%s.%N)
    "$CLI" simulate --episodes 0..$n --threads 1 --no-log --json >/dev/null &
    "$CLI" simulate --episodes $n..$((2 * n)) --threads 1 --no-log --json >/dev/null
    wait
    end=$(date +%s.%N)
    local two
    two=$(echo "$end - $start" | bc)
    printf 'control (no Ray, no log, %d episodes): 1 process %.2f s, 2 processes %.2f s: %.2fx; load %s\n' \
        $((2 * n)) "$one" "$two" "$(echo "$one / $two" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

run() {
    local shards=$1 round=$2 load
    shift 2
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    "$PY" python/examples/ray_simulate.py --shards "$shards" --episodes "$EPISODES" --num-cpus 2 --cli "$CLI" \
        --out "$OUT/r$round-s$shards" --json "$@" 2>/dev/null >"$OUT/report.json"
    "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
shards = " | ".join("%d..%d: simulate %.1f s, export %.1f s, peak RSS %.0f MiB"
                    % (s["low"], s["high"], s["simulate_seconds"], s["export_seconds"], s["peak_rss_mib"])
                    for s in r["shards"])
print("round %s shards %d (%s): %d requests in %.1f s = %.0f requests/s; load before %s; %s"
      % (sys.argv[2], len(r["shards"]), "writer thread" if r["log_writer_thread"] else "one thread",
         r["combined"]["requests"], r["wall_seconds"], r["requests_per_second"], sys.argv[3], shards))
' "$OUT/report.json" "$round" "$load"
    rm -rf "$OUT/r$round-s$shards"
}

control
for round in $(seq 1 "$ROUNDS"); do
    run 1 "$round"
    run 2 "$round"
    run 1 "$round" --log-writer-thread
    run 2 "$round" --log-writer-thread
done
control

#!/usr/bin/env bash
# Grid search over fixed fusion weights on short-video (the industry default), ranked by reward per user-day.
# Usage: scripts/fixed-weight-grid.sh [SEED] [SESSIONS]  — prints the JSON of `mtfsim compare`, best last.
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-1}; sessions=${2:-10000}
args=()
for c in 0 0.25 0.5 0.75 1; do
  for l in 0 0.25 0.5 1; do
    for s in 0.5 1 2; do
      like=$(awk "BEGIN{print 0.5*$s}"); follow=$(awk "BEGIN{print 1.25*$s}")
      args+=(--policy "fixed:$c,$l,$like,$follow,$like,$follow,-5")
    done
  done
done
.build/release/mtfsim compare --env short-video --users all --seeds 1 --first-seed "$seed" --sessions "$sessions" --json "${args[@]}" \
  | python3 -c 'import json,sys; e=json.load(sys.stdin)["policies"]; e.sort(key=lambda x: x["rewardPerUserDay"]["mean"]); print(json.dumps(e, indent=1))'

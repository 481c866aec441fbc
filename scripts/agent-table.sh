#!/usr/bin/env bash
# The agents table of the README: every agent trained with 5 seeds on short-video (world = seed), then all
# policies compared on held-out users of held-out worlds (seeds 101-102) with common random numbers.
# Usage: scripts/agent-table.sh [STEPS] [JOBS]   (defaults: 200000 environment steps per run, 2 parallel jobs)
# Actor-critics use γ = 0.95 (the default) and DDPG/TD3 exploration σ = 0.3 (normalised units).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-200000}; jobs=${2:-2}
B=${MTFSIM:-.build/release/mtfsim}
mkdir -p models/table
for seed in 1 2 3 4 5; do
  for agent in td3 sac ddpg cem; do
    echo "$B train --agent $agent --seed $seed --threads 1 --steps $steps --exploration-sigma 0.3 \
      --eval-interval 100000 --eval-episodes 64 --out models/table/$agent-seed$seed.ckpt --json > models/table/$agent-seed$seed.json"
  done
done | xargs -P "$jobs" -I{} sh -c "{}"
R=0.5,1.25,0.5,1.25,-5
$B compare --first-seed 101 --seeds 2 --sessions 10000 --json \
  --policies "baseline,random,ramp:session.requestIndex=1..4@1,0.5,$R@0,0.5,$R,models/table/cem-seed*.ckpt,models/table/ddpg-seed*.ckpt,models/table/td3-seed*.ckpt,models/table/sac-seed*.ckpt" \
  > models/table/compare.json
python3 - <<'PY'
import json
d = json.load(open("models/table/compare.json"))
def row(name, e):
    v = e["rewardPerUserDay"]
    return f"| {name} | {v['mean']:.1f} [{v['lower']:.1f}, {v['upper']:.1f}] |"
for e in d["policies"][:3]: print(row(e["policy"], e))
for g in d["groups"]: print(row(g["name"] + " (mean of 5 seeds)", g))
PY

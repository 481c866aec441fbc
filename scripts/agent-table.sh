#!/usr/bin/env bash
# The online-agents table of docs/results/online-agents.md: every agent trained with 5 seeds on short-video
# (world = seed), then all policies compared on held-out users of held-out worlds (seeds 101-102) with common
# random numbers.
# Usage: scripts/agent-table.sh [STEPS] [JOBS] [ACTION_BOX] [HALF_LIFE_HOURS] [HIDDEN] [UPDATES_PER_STEP] [AROUND]
#                               [SAC_TARGET_ENTROPY] [DDPG_ACTION_PENALTY]
#   defaults: 200000 environment steps per run, 2 parallel jobs, action box 1 (the whole box; 0.25 = residual
#   actions within ±0.25 of the baseline weights), half-life 0 (actor-critics discount γ = 0.95 per request; H > 0:
#   γ = 1 per request and 2^(-hours/H) by the simulator's clock). DDPG/TD3 explore with σ = 0.3 (normalised units).
#   Actor and critics: HIDDEN (default 128,128) and UPDATES_PER_STEP gradient steps per transition (default 0.125).
#   AROUND: baseline (default) or cem: centre each seed's residual box on that seed's CEM weights (CEM runs first).
#   SAC_TARGET_ENTROPY: SAC's entropy target in nats (default: −dim(A)).
#   DDPG_ACTION_PENALTY: λ of DDPG's L2 penalty on its normalised actions (default 0: none).
#   Runs whose checkpoint exists are skipped (CEM depends on none of these; its checkpoints can be copied over).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-200000}; jobs=${2:-2}; box=${3:-1}; half=${4:-0}; hidden=${5:-128,128}; utd=${6:-0.125}
around=${7:-baseline}; entropy=${8:-}; penalty=${9:-0}
B=${MTFSIM:-.build/release/mtfsim}
out=models/table; [ "$box" = 1 ] || out=$out-box$box; [ "$half" = 0 ] || out=$out-halflife$half
[ "$hidden,$utd" = "128,128,0.125" ] || out=$out-$hidden-utd$utd
[ "$around" = baseline ] || out=$out-around-$around
[ -z "$entropy" ] || out=$out-entropy$entropy
[ "$penalty" = 0 ] || out=$out-ddpg-penalty$penalty
mkdir -p "$out"
train() { # AGENT SEED EXTRA-OPTIONS
  [ -f "$out/$1-seed$2.ckpt" ] && return 0
  echo "$B train --agent $1 --seed $2 --threads 1 --steps $steps --exploration-sigma 0.3 --action-box $box \
    --discount-half-life-hours $half --hidden $hidden --updates-per-step $utd $3 \
    --eval-interval 100000 --eval-episodes 64 --out $out/$1-seed$2.ckpt --json > $out/$1-seed$2.json"
}
for seed in 1 2 3 4 5; do train cem $seed ""; done | xargs -P "$jobs" -I{} sh -c "{}"
for seed in 1 2 3 4 5; do
  centre=""; [ "$around" = cem ] && centre="--around $out/cem-seed$seed.ckpt"
  sac=$centre; [ -z "$entropy" ] || sac="$sac --target-entropy $entropy"
  ddpg=$centre; [ "$penalty" = 0 ] || ddpg="$ddpg --action-penalty $penalty"
  train sac $seed "$sac"; train td3 $seed "$centre"; train ddpg $seed "$ddpg"
done | xargs -P "$jobs" -I{} sh -c "{}"
R=0.5,1.25,0.5,1.25,-5
$B compare --first-seed 101 --seeds 2 --sessions 10000 --json \
  --policies "baseline,random,ramp:session.requestIndex=1..4@1,0.5,$R@0,0.5,$R,$out/cem-seed*.ckpt,$out/ddpg-seed*.ckpt,$out/td3-seed*.ckpt,$out/sac-seed*.ckpt" \
  > "$out/compare.json"
python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + "/compare.json"))
def interval(v): return f"{v['mean']:.1f} [{v['lower']:.1f}, {v['upper']:.1f}]"
def row(name, e):
    delta = interval(e["differenceToFirst"]) if "differenceToFirst" in e else "—"
    return (f"| {name} | {interval(e['rewardPerUserDay'])} | {delta} | {e['rewardPerSession']['mean']:.1f} "
            f"| {e['requestsPerSession']:.2f} | {e['sessionsPerUserDay']:.2f} |")
print("| policy | reward / user-day | paired Δ vs baseline | reward / session | requests / session | sessions / user-day |")
print("|---|---:|---:|---:|---:|---:|")
for e in d["policies"][:3]: print(row(e["policy"], e))
for g in d["groups"]: print(row(g["name"] + " (5 seeds)", g))
PY

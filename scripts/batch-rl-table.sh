#!/usr/bin/env bash
# The iterated-against-one-shot table of docs/results/offline-rl.md: `mtfsim batch-rl` with 4 rounds of 5,000
# sessions (mixture exploration around the baseline, then around each round's policy) in training worlds 1-5, then
# every round's policy and the one-shot policy of scripts/offline-table.sh (the same learner on one 20,000-session
# mixture log of the same world) compared with the behaviour on the held-out users of worlds 101-102 (10,000
# sessions each, common random numbers, behaviour first).
# Usage: scripts/batch-rl-table.sh AGENT [STEPS_PER_ROUND] [JOBS] [SEEDS]
#   defaults: 20000 gradient steps per round, 2 parallel jobs, seeds "1 2 3 4 5"; hidden 64,64 and half-life 6 h.
#   Environment: OUT (default models/offline: the one-shot checkpoints AGENT-seed<S>.ckpt, and batch-rl-AGENT-seed<S>/
#   for the rounds), MTFSIM (the binary), SIGMA and BOX (the exploration's σ and half-width, normalised units; default
#   the environment's 0.1 and 0.15; the wide table uses 0.25 and 0.5). Seeds whose folder holds batch-rl.json are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
agent=$1; steps=${2:-20000}; jobs=${3:-2}; seeds=${4:-1 2 3 4 5}
B=${MTFSIM:-.build/release/mtfsim}
out=${OUT:-models/offline}
sigma=${SIGMA:-}; box=${BOX:-}
exploration="${sigma:+--exploration-sigma $sigma} ${box:+--exploration-box $box}"
behaviour=mixture${sigma:+:$sigma,$box}
mkdir -p "$out"
for s in $seeds; do
  dir=$out/batch-rl-$agent-seed$s
  [ -f "$dir/batch-rl.json" ] && continue
  rm -rf "$dir"
  echo "$B batch-rl --agent $agent --seed $s --threads 1 --rounds 4 --sessions-per-round 5000 --steps-per-round $steps $exploration \
    --hidden 64,64 --discount-half-life-hours 6 --eval-episodes 64 --out-dir $dir --json > $dir.json"
done | xargs -r -P "$jobs" -I{} sh -c "{}"
class="[$(echo $seeds | tr -d ' ')]"   # the seeds as a glob class: each group holds exactly these seeds
policies="$behaviour"
for k in 0 1 2 3; do policies="$policies,$out/batch-rl-$agent-seed$class/round-$k.ckpt"; done
[ -f "$out/$agent-seed1.ckpt" ] && policies="$policies,$out/$agent-seed$class.ckpt"
$B compare --first-seed 101 --seeds 2 --sessions 10000 --threads 2 --json --policies "$policies" \
  > "$out/batch-rl-$agent.json"
python3 scripts/offline-table.py "$out" "$out/batch-rl-$agent.json"

#!/usr/bin/env bash
# RLlib PPO with 2 env runners on short-video, one run per world seed, each evaluated on its world's held-out users
# beside the baseline, uniformly random weights and CEM (the protocol of `mtfsim compare`); one line per seed.
# Usage: scripts/rllib-ppo-seeds.sh [SEEDS] [BUDGET_SECONDS]   (after `make ray` and a release build)
# docs/scaling.md ("Online RL on RLlib") quotes its output.
set -euo pipefail
SEEDS=${1:-"1 2 3"}
BUDGET=${2:-300}
CLI=${MTFSIM_CLI:-.build/release/mtfsim}
PY=${PYTHON:-.venv-ray/bin/python}
OUT=${OUT:-$(mktemp -d)}
for seed in $SEEDS; do
    "$PY" python/examples/rllib_train.py --algo ppo --env-runners 2 --envs-per-runner 64 --iterations 40 \
        --time-budget "$BUDGET" --eval-episodes 256 --seed "$seed" --cli "$CLI" --out "$OUT/seed$seed" --json \
        2>/dev/null >"$OUT/seed$seed.json"
    "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
p = r["policies"]
ppo = next(k for k in p if k.startswith("RLlib"))
def row(name):
    v = p[name]
    return "%.1f [%.1f, %.1f]" % (v["mean"], v["lower"], v["upper"])
def delta(name, key):
    d = p[name][key]
    return "%+.1f [%+.1f, %+.1f]" % tuple(d)
print("seed %s: %d iterations, %d env steps, %.0f env steps/s | baseline %s | random %s | CEM %s | PPO %s | PPO - random %s | PPO - baseline %s"
      % (sys.argv[2], r["iterations"], r["env_steps"], r["env_steps_per_second"], row("baseline"),
         row("uniformly random weights"), row("CEM (mtfsim train --agent cem)"), row(ppo),
         delta(ppo, "delta_vs_random"), delta(ppo, "delta_vs_baseline")))
' "$OUT/seed$seed.json" "$seed"
done

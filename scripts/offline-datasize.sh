#!/usr/bin/env bash
# The data-size table of docs/results/offline-rl.md: one offline learner trained on mixture logs of 2,000, 5,000,
# 20,000 and 80,000 sessions (the same training worlds and seeds as scripts/offline-table.sh), then compared with the
# behaviour on the held-out users of worlds 101-102 (10,000 sessions each, common random numbers, behaviour first).
# Usage: scripts/offline-datasize.sh AGENT [STEPS] [JOBS] [SEEDS]
#   defaults: 20000 gradient steps, 2 parallel jobs, seeds "1 2 3 4 5"; hidden 64,64 and half-life 6 h as the table;
#   `compare` runs on 2 threads.
#   Environment: LOGS (default logs/offline), OUT (default models/offline), MTFSIM (the binary), BEHAVIOUR (the
#   logging policy, default `mixture`; the wide table uses mixture:0.25,0.5). The 20,000-session
#   runs of scripts/offline-table.sh are reused; runs whose checkpoint exists are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
agent=$1; steps=${2:-20000}; jobs=${3:-2}; seeds=${4:-1 2 3 4 5}
B=${MTFSIM:-.build/release/mtfsim}
logs=${LOGS:-logs/offline}; out=${OUT:-models/offline}
behaviour=${BEHAVIOUR:-mixture}
mkdir -p "$logs" "$out"
for n in 2000 5000 20000 80000; do for s in $seeds; do
  f=$logs/mixture-seed$s-$n.sqlite
  [ -f "$f" ] || echo "$B simulate --seed $s --sessions $n --policy $behaviour --threads 1 --log $f --json > $f.json"
done; done | xargs -r -P "$jobs" -I{} sh -c "{}"
for n in 2000 5000 20000 80000; do for s in $seeds; do
  name=$agent-seed$s; [ "$n" = 20000 ] || name=$agent-$n-seed$s
  [ -f "$out/$name.ckpt" ] && continue
  echo "$B train-offline --agent $agent --log $logs/mixture-seed$s-$n.sqlite --seed $s --threads 1 --steps $steps \
    --hidden 64,64 --discount-half-life-hours 6 --eval-interval $steps --eval-episodes 64 \
    --out $out/$name.ckpt --json > $out/$name.json"
done; done | xargs -r -P "$jobs" -I{} sh -c "{}"
class="[$(echo $seeds | tr -d ' ')]"   # the seeds as a glob class: each group holds exactly these seeds
policies="$behaviour"
for n in 2000 5000 80000; do policies="$policies,$out/$agent-$n-seed$class.ckpt"; done
policies="$policies,$out/$agent-seed$class.ckpt"
$B compare --first-seed 101 --seeds 2 --sessions 10000 --threads 2 --json --policies "$policies" > "$out/datasize-$agent.json"
python3 scripts/offline-table.py "$out" "$out/datasize-$agent.json"

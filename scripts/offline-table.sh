#!/usr/bin/env bash
# The offline-learners table of docs/results/offline-rl.md: one mixture log per training world (seeds 1-5, 20,000
# sessions of BatchRL-MTF's 50/50 mixture around the baseline, training users), every offline learner trained on each
# log with that seed, then compared with the behaviour, the baseline, CEM and online SAC on the held-out users of
# held-out worlds 101-102 (10,000 sessions each, common random numbers; the behaviour policy first, so every paired
# difference is against it).
# Usage: scripts/offline-table.sh [STEPS] [BCQ_STEPS] [CQL_STEPS] [JOBS] [HIDDEN] [HALF_LIFE_HOURS]
#   defaults: 80000 gradient steps (bc, td3bc, iql, td3: their critics' mean Q on the logged states has settled by
#   then), 40000 for BCQ (learning rates 10^-3) with a 256 x 256 VAE instead of the paper's 750 x 750 (5x cheaper),
#   20000 for CQL (a step evaluates 2 critics on 30 sampled actions per state: 13 minutes per run here), 2 parallel
#   jobs, hidden 64,64 (the online table's), half-life 6 h (gamma = 1 per request, 2^(-hours/6) by the clock).
#   Environment: LOGS (default logs/offline), OUT (default models/offline), ONLINE (a folder with cem-seed<S>.ckpt and
#   sac-seed<S>.ckpt from scripts/agent-table.sh 200000 2 0.5 6 64,64 0.5 cem 2 10; their rows are left out when
#   absent), MTFSIM (the binary), BEHAVIOUR (the logging policy, default `mixture`: sigma 0.1 and a box of +-0.15;
#   the wide table uses mixture:0.25,0.5), EXTRA (policies compared after the behaviour and the baseline). Runs whose checkpoint exists are skipped; the longest runs go first.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-80000}; bcq=${2:-40000}; cql=${3:-20000}; jobs=${4:-2}; hidden=${5:-64,64}; half=${6:-6}
B=${MTFSIM:-.build/release/mtfsim}
logs=${LOGS:-logs/offline}; out=${OUT:-models/offline}
behaviour=${BEHAVIOUR:-mixture}
online=${ONLINE:-models/table-box0.5-halflife6-64,64-utd0.5-around-cem-entropy2-ddpg-penalty10}
mkdir -p "$logs" "$out"
for s in 1 2 3 4 5; do
  f=$logs/mixture-seed$s-20000.sqlite
  [ -f "$f" ] || echo "$B simulate --seed $s --sessions 20000 --policy $behaviour --threads 1 --log $f --json > $f.json"
done | xargs -r -P "$jobs" -I{} sh -c "{}"
for s in 1 2 3 4 5; do for a in cql bcq iql td3bc td3 bc; do
  [ -f "$out/$a-seed$s.ckpt" ] && continue
  n=$steps; extra=""
  case $a in bcq) n=$bcq; extra="--bcq-vae-hidden 256,256";; cql) n=$cql;; esac
  echo "$B train-offline --agent $a --log $logs/mixture-seed$s-20000.sqlite --seed $s --threads 1 --steps $n $extra \
    --hidden $hidden --discount-half-life-hours $half --eval-interval $((n / 4)) --eval-episodes 64 \
    --out $out/$a-seed$s.ckpt --json > $out/$a-seed$s.json"
done; done | xargs -r -P "$jobs" -I{} sh -c "{}"
policies="$behaviour,baseline${EXTRA:+,$EXTRA}"
[ -f "$online/cem-seed1.ckpt" ] && policies="$policies,$online/cem-seed*.ckpt,$online/sac-seed*.ckpt"
for a in bc bcq td3bc iql cql td3; do policies="$policies,$out/$a-seed*.ckpt"; done
$B compare --first-seed 101 --seeds 2 --sessions 10000 --threads 2 --json --policies "$policies" > "$out/compare.json"
python3 scripts/offline-table.py "$out"

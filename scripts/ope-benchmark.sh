#!/usr/bin/env bash
# The off-policy evaluation benchmark of docs/results/ope.md: candidate fusion policies evaluated from logged data
# alone, against the simulator's truth, in DOPE's form (Fu et al. 2021).
#
# For each world (WORLDS, default 201 202 203) and behaviour policy (BEHAVIOURS: the 50/50 mixture around the baseline,
# a uniform box of +-0.15 and a Gaussian of sigma 0.3), one log of SESSIONS sessions, of which the first EPISODES
# episodes (users' weeks) are evaluated, so that the three logs of a world hold the same users. Per world, the truth
# of every candidate on those users: their episodes simulated again on-policy REPLICATES times (in TRUTH_JOBS batches
# of consecutive seeds; the interval over the replicates). On each log, every candidate is estimated
#   - on reward per user-day by the sequential estimators (trajectory IS, PDIS, WPDIS), MWL, and with FQE=1 also
#     FQE, sequential DR and WDR on its Q̂;
#   - on per-request reward by obp's nine per-request estimators (the myopic view).
# scripts/ope-benchmark.py then scores each estimator against the truth: normalised absolute error, Spearman rank
# correlation, normalised regret@1 and interval coverage, per log and averaged over the logs.
#
# Usage: scripts/ope-benchmark.sh [SESSIONS] [EPISODES] [REPLICATES] [JOBS]
#   defaults: 5000 sessions per log, its first 128 episodes (about 4,100 sessions), 16 replicates of the truth in
#   2 batches per world, 2 parallel jobs.
#   Environment: OUT (default results/ope), MODELS (a folder with the learned candidates: cem-seed1.ckpt and
#   sac-seed1.ckpt from scripts/agent-table.sh, td3bc-seed1.ckpt, iql-seed1.ckpt, cql-seed1.ckpt and td3-seed1.ckpt
#   from scripts/offline-table.sh; a missing one is left out, with a line on stderr), FQE (1: add the FQE family),
#   TRUTH_JOBS (default 2), MTFSIM (the binary). Files that exist are kept: a second run only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=${1:-5000}; episodes=${2:-128}; replicates=${3:-16}; jobs=${4:-2}
truthJobs=${TRUTH_JOBS:-2}
B=${MTFSIM:-.build/release/mtfsim}
out=${OUT:-results/ope}; models=${MODELS:-models/ope}
worlds=${WORLDS:-201 202 203}
behaviours=${BEHAVIOURS:-mixture box:0.15 gaussian:0.3}
mkdir -p "$out"

candidates=(
  baseline
  fixed:1,0,0,0,0,0,0
  random
  fixed:0.5,0.5,0.5,1.25,0.5,1.25,-5
  fixed:1,0.25,0.25,0.625,0.25,0.625,-5
  fixed:0,0.5,1,2.5,1,2.5,-5
  fixed:0,0,0.25,0.625,0.25,0.625,-5
  "ramp:session.requestIndex=1..4@1,0.5,0.5,1.25,0.5,1.25,-5@0,0.5,0.5,1.25,0.5,1.25,-5"
  gaussian:0.1
  gaussian:0.2@1,0.25,0.25,0.625,0.25,0.625,-5
)
for c in cem sac td3bc iql cql td3; do
  f=$models/$c-seed1.ckpt
  if [ -f "$f" ]; then candidates+=("$f"); else echo "ope-benchmark: $f is missing; its row is left out" >&2; fi
done
[ -f "$models/cem-seed1.ckpt" ] && candidates+=("gaussian:0.1@$models/cem-seed1.ckpt")
policies=(); for c in "${candidates[@]}"; do policies+=(--policy "$c"); done
printf '%s\n' "${candidates[@]}" > "$out/candidates.txt"

name() { echo "world$1-$(echo "$2" | tr ':.' '-_')"; }
for w in $worlds; do for b in $behaviours; do
  log=$out/$(name "$w" "$b").sqlite
  [ -f "$log" ] || echo "$B simulate --seed $w --sessions $sessions --policy $b --threads 1 --log $log --json > $log.json.part && mv $log.json.part $log.json"
done; done | xargs -r -d '\n' -P "$jobs" -I{} bash -c {}

q() { printf '%q ' "$@"; }
{
  for w in $worlds; do
    first=$(set -- $behaviours; echo "$1")
    for ((k = 0; k < truthJobs; k++)); do
      f=$out/world$w.truth-$k.json
      count=$(( (replicates + truthJobs - 1 - k) / truthJobs )); seed=$(( w + 1 + k * ((replicates + truthJobs - 1) / truthJobs) ))
      [ -f "$f" ] || [ "$count" -le 0 ] || echo "$(q "$B" evaluate "$out/$(name "$w" "$first").sqlite" "${policies[@]}" \
        --episodes "$episodes" --estimators pdis --truth-replicates "$count" --truth-seed "$seed" --threads 1 --json) > $f.part && mv $f.part $f"
    done
  done
  for w in $worlds; do for b in $behaviours; do
    n=$out/$(name "$w" "$b")
    [ -f "$n.per-user-day.json" ] || echo "$(q "$B" evaluate "$n.sqlite" "${policies[@]}" --episodes "$episodes" \
      --estimand per-user-day --estimators trajectory-is,pdis,wpdis --threads 1 --json) > $n.per-user-day.json.part && mv $n.per-user-day.json.part $n.per-user-day.json"
    [ -f "$n.per-request.json" ] || echo "$(q "$B" evaluate "$n.sqlite" "${policies[@]}" --episodes "$episodes" \
      --estimand per-request --threads 1 --json) > $n.per-request.json.part && mv $n.per-request.json.part $n.per-request.json"
    [ -f "$n.mwl.json" ] || echo "$(q "$B" evaluate "$n.sqlite" "${policies[@]}" --episodes "$episodes" \
      --estimand per-user-day --estimators mwl --threads 1 --json) > $n.mwl.json.part && mv $n.mwl.json.part $n.mwl.json"
    if [ "${FQE:-0}" = 1 ] && [ ! -f "$n.fqe.json" ]; then
      echo "$(q "$B" evaluate "$n.sqlite" "${policies[@]}" --episodes "$episodes" --estimand per-user-day \
        --estimators fqe,sequential-dr,wdr --threads 1 --json) > $n.fqe.json.part && mv $n.fqe.json.part $n.fqe.json"
    fi
  done; done
} | xargs -r -d '\n' -P "$jobs" -I{} bash -c {}

python3 scripts/ope-benchmark.py "$out"

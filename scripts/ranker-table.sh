#!/usr/bin/env bash
# The rankers table of docs/results/rankers.md: exploratory logs of short-video (the BatchRL-MTF mixture fusion
# policy with 15% random exposure), then MMoE, PLE and shared-bottom trained with 3 seeds each (user split,
# initialisation and shuffling from the seed) and evaluated on their test users beside the ceiling.
# Usage: scripts/ranker-table.sh [SESSIONS]   (default 20000 sessions, about 1M examined impressions)
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=${1:-20000}
B=${MTFSIM:-.build/release/mtfsim}
out=models/rankers-$sessions
mkdir -p "$out" logs
log=logs/rankers-$sessions.sqlite
[ -f "$log" ] || $B simulate --policy mixture --random-exposure 0.15 --sessions "$sessions" --log "$log" > /dev/null
for seed in 1 2 3; do
  $B train-ranker --log "$log" --arch mmoe --seed $seed --out "$out/mmoe-$seed.ckpt" --json > "$out/mmoe-$seed.json"
  $B train-ranker --log "$log" --arch ple --experts 1 --shared-experts 2 --levels 2 --seed $seed \
    --out "$out/ple-$seed.ckpt" --json > "$out/ple-$seed.json"
  $B train-ranker --log "$log" --arch shared-bottom --expert-layers 128,64 --seed $seed \
    --out "$out/shared-bottom-$seed.ckpt" --json > "$out/shared-bottom-$seed.json"
done
python3 - "$out" <<'PY'
import json, sys, statistics as st
out = sys.argv[1]
for arch in ["mmoe", "ple", "shared-bottom"]:
    runs = [json.load(open(f"{out}/{arch}-{s}.json")) for s in (1, 2, 3)]
    for k, task in enumerate(runs[0]["tasks"]):
        auc = [r["tasks"][k]["auc"] for r in runs]; gap = [r["tasks"][k]["ceilingAUC"] - r["tasks"][k]["auc"] for r in runs]
        cal = [(r["tasks"][k]["meanPrediction"] - r["tasks"][k]["observedRate"]) / r["tasks"][k]["observedRate"] for r in runs]
        pos = [r["tasks"][k]["positives"] for r in runs]
        print(f"| {arch} | {task['task']} | {st.mean(auc):.4f} ± {st.pstdev(auc):.4f} | {st.mean(gap):.3f} | "
              f"{100*st.mean(cal):+.1f}% ± {100*st.pstdev(cal):.1f} | {min(pos)}–{max(pos)} |")
PY

#!/usr/bin/env bash
# The four kinds of `mtfsim report` page made from the README's own runs, at smaller sizes (one seed, fewer sessions
# and steps; the full runs are in docs/results/), and their screenshots in docs/images/ (headless Chromium, through
# the tests' harness python/tests/browser.py). About 10 minutes on 2 cores.
#
#   scripts/report-examples.sh [OUT]     # OUT: the runs and the pages (default /tmp/mtfsim-report-examples)
#
# Needs a release build (swift build -c release --product mtfsim), a Python with vl-convert-python and
# websocket-client ($PYTHON, default .venv/bin/python, which `make python` makes) and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/mtfsim-report-examples}
B=.build/release/mtfsim
PY=${PYTHON:-.venv/bin/python}
mkdir -p "$out" docs/images
R=0.5,1.25,0.5,1.25,-5

# 1. An episode log: the calibration run of the README (3,000 sessions of world 1 under the default mixture policy).
[ -f "$out/calibration.sqlite" ] || $B simulate --sessions 3000 --seed 1 --log "$out/calibration.sqlite" --json > /dev/null

# 2. Online agents (README "Online agents"): CEM, then SAC in a ±0.5 box around it, discounted by time (one seed,
#    100,000 steps instead of five seeds of 200,000).
[ -f "$out/cem.json" ] || $B train --agent cem --seed 1 --out "$out/cem.ckpt" --json > "$out/cem.json"
[ -f "$out/sac.json" ] || $B train --agent sac --seed 1 --steps 100000 --hidden 64,64 --updates-per-step 0.5 \
  --discount-half-life-hours 6 --action-box 0.5 --around "$out/cem.ckpt" --eval-interval 10000 --out "$out/sac.ckpt" \
  --json > "$out/sac.json"

# 3. The long-term trade-off (README): best fixed weights, the ramp, click-only and the baseline on held-out worlds
#    101-102 (5,000 sessions per policy and seed instead of 20,000 on five worlds).
[ -f "$out/compare.json" ] || $B compare --users all --first-seed 101 --seeds 2 --sessions 5000 --policy "fixed:0.5,0.5,$R" \
  --policy "ramp:session.requestIndex=1..4@1,0.5,$R@0,0.5,$R" --policy "fixed:1,0,0,0,0,0,0" --policy baseline \
  --policy "$out/cem.ckpt" --policy "$out/sac.ckpt" --json > "$out/compare.json"

# 4. Off-policy evaluation against the truth (README "Off-policy evaluation"): a mixture log of world 201, 128 users'
#    weeks, candidates evaluated per user-day against their truth on those users.
[ -f "$out/ope.sqlite" ] || $B simulate --seed 201 --sessions 4500 --policy mixture:0.25,0.5 --log "$out/ope.sqlite" --json > /dev/null
[ -f "$out/evaluate.json" ] || $B evaluate "$out/ope.sqlite" --episodes 128 --estimand per-user-day \
  --estimators trajectory-is,pdis,wpdis,mwl --truth-replicates 4 --json \
  --policy baseline --policy "fixed:0.5,0.5,$R" --policy "fixed:1,0,0,0,0,0,0" --policy "fixed:0,0,0.25,0.625,0.25,0.625,-5" \
  --policy "ramp:session.requestIndex=1..4@1,0.5,$R@0,0.5,$R" --policy gaussian:0.1 --policy "$out/cem.ckpt" \
  --policy "$out/sac.ckpt" > "$out/evaluate.json"

$B report "$out/calibration.sqlite" --out "$out/report-log.html" --python "$PY"
$B report "$out/sac.json" "$out/cem.json" --out "$out/report-train.html" --python "$PY"
$B report "$out/compare.json" --out "$out/report-compare.html" --python "$PY"
$B report "$out/evaluate.json" --out "$out/report-evaluate.html" --python "$PY"

"$PY" - "$out" <<'PY'
import sys
from pathlib import Path

sys.path.insert(0, "python/tests")
from browser import check_page

out = Path(sys.argv[1])
for name in ("log", "train", "compare", "evaluate"):
    check = check_page(out / f"report-{name}.html", screenshot=Path("docs/images") / f"report-{name}.png", timeout_s=60)
    assert not check.problems(), check.problems()
    print(f"docs/images/report-{name}.png: {len(check.charts)} charts, marks {[c.marks for c in check.charts]}")
PY

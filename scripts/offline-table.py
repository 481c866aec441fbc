#!/usr/bin/env python3
"""Prints the offline-learners table (markdown) from a directory made by scripts/offline-table.sh: compare.json
(held-out users of worlds 101-102, the behaviour policy first) and each learner's train-offline report.
Usage: offline-table.py DIR [COMPARE_JSON]; with a compare file of its own (scripts/offline-datasize.sh,
scripts/batch-rl-table.sh) only its rows are printed."""
import glob
import json
import os
import sys

out = sys.argv[1]
own = len(sys.argv) > 2
compare = json.load(open(sys.argv[2] if own else os.path.join(out, "compare.json")))


def interval(v: dict) -> str:
    return f"{v['mean']:.1f} [{v['lower']:.1f}, {v['upper']:.1f}]"


def row(name: str, e: dict) -> str:
    delta = interval(e["differenceToFirst"]) if "differenceToFirst" in e else "—"
    return (f"| {name} | {interval(e['rewardPerUserDay'])} | {delta} | {e['rewardPerSession']['mean']:.1f} "
            f"| {e['requestsPerSession']:.2f} | {e['sessionsPerUserDay']:.2f} |")


print("| policy | reward / user-day | paired Δ vs behaviour | reward / session | requests / session | sessions / user-day |")
print("|---|---:|---:|---:|---:|---:|")
first = compare["policies"][0]
print(row(first["policy"].split("@")[0], first))
for e in compare["policies"][1:]:
    if e["policy"].startswith("fixed:") or e["policy"] == "baseline":
        print(row("baseline fixed weights", e))
for g in compare["groups"]:
    print(row(os.path.basename(g["name"]).replace("-seed*.ckpt", "") + f" ({len(g['members']) if isinstance(g['members'], list) else g['members']} seeds)", g))
if own:
    sys.exit(0)

reports = sorted(glob.glob(os.path.join(out, "*-seed*.json")))
audits = {}
for path in reports:
    r = json.load(open(path))
    audit = r.get("valueAudit")
    if audit:
        audits.setdefault(r["agent"], []).append(audit)
if audits:
    print()
    print("| learner | mean Q(s, π(s)) on logged states | on its own held-out states | realised discounted return there |")
    print("|---|---:|---:|---:|")
    for agent, xs in sorted(audits.items()):
        n = len(xs)
        logged = sum(a.get("predictedOnLoggedStates") or 0 for a in xs) / n
        own = sum(a["predicted"] for a in xs) / n
        real = sum(a["realised"]["mean"] for a in xs) / n
        print(f"| {agent} ({n} seeds) | {logged:.1f} | {own:.1f} | {real:.1f} |")

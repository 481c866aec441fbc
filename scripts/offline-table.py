#!/usr/bin/env python3
"""Prints the offline-learners table (markdown) from a directory made by scripts/offline-table.sh: compare.json
(held-out users of worlds 101-102, the behaviour policy first) and each learner's train-offline report."""
import glob
import json
import os
import sys

out = sys.argv[1]
compare = json.load(open(os.path.join(out, "compare.json")))


def interval(v: dict) -> str:
    return f"{v['mean']:.1f} [{v['lower']:.1f}, {v['upper']:.1f}]"


def row(name: str, e: dict) -> str:
    delta = interval(e["differenceToFirst"]) if "differenceToFirst" in e else "—"
    return (f"| {name} | {interval(e['rewardPerUserDay'])} | {delta} | {e['rewardPerSession']['mean']:.1f} "
            f"| {e['requestsPerSession']:.2f} | {e['sessionsPerUserDay']:.2f} |")


print("| policy | reward / user-day | paired Δ vs behaviour | reward / session | requests / session | sessions / user-day |")
print("|---|---:|---:|---:|---:|---:|")
for e in compare["policies"][:2]:
    print(row(e["policy"].split("@")[0] if e is compare["policies"][0] else "baseline fixed weights", e))
for g in compare["groups"]:
    print(row(os.path.basename(g["name"]).replace("-seed*.ckpt", "") + " (5 seeds)", g))

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

#!/usr/bin/env python3
"""How a logged policy's fusion weights depend on one state feature.

Usage: scripts/actions-by-feature.py LOG [FEATURE] [--run ID] [--max-bucket N]
Reads the steps of a run (default: the last) of an MTFSim episode log and prints, for each value of FEATURE
(default session.requestIndex; values above --max-bucket pooled), the number of steps and the mean of every
action dimension, then each dimension's standard deviation across all states (the spread of the policy's
actions). Log a policy's behaviour with e.g. `mtfsim simulate --policy models/sac.ckpt --log LOG`.
"""
import argparse
import json
import sqlite3
import statistics
import struct


def floats(blob):
    return struct.unpack("<%df" % (len(blob) // 4), blob)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("feature", nargs="?", default="session.requestIndex")
    parser.add_argument("--run", type=int)
    parser.add_argument("--max-bucket", type=int, default=10)
    args = parser.parse_args()
    db = sqlite3.connect(f"file:{args.log}?mode=ro", uri=True)
    run = args.run or db.execute("SELECT max(id) FROM runs").fetchone()[0]
    state_names, action_names, policy = db.execute(
        "SELECT state_names, action_names, policy_spec FROM runs WHERE id = ?", (run,)).fetchone()
    state_names, action_names = json.loads(state_names), json.loads(action_names)
    if args.feature not in state_names:
        raise SystemExit(f"{args.log}: no state feature {args.feature!r} (features: {', '.join(state_names)})")
    index = state_names.index(args.feature)
    buckets, actions = {}, []
    for state, action in db.execute("SELECT state, action FROM steps WHERE run_id = ?", (run,)):
        value = floats(state)[index]
        key = min(round(value), args.max_bucket)
        a = floats(action)
        actions.append(a)
        buckets.setdefault(key, []).append(a)
    print(f"run {run} ({policy}): mean fusion weights by {args.feature} ({len(actions)} steps)")
    print(f"{args.feature:>22} {'steps':>7} " + " ".join(f"{n:>10}" for n in action_names))
    for key in sorted(buckets):
        rows = buckets[key]
        label = f"≥ {key}" if key == args.max_bucket else str(key)
        means = [statistics.fmean(r[k] for r in rows) for k in range(len(action_names))]
        print(f"{label:>22} {len(rows):>7} " + " ".join(f"{m:>10.3f}" for m in means))
    spread = [statistics.pstdev(a[k] for a in actions) for k in range(len(action_names))]
    print(f"{'sd across states':>22} {'':>7} " + " ".join(f"{s:>10.3f}" for s in spread))


if __name__ == "__main__":
    main()

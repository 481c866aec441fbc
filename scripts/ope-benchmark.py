#!/usr/bin/env python3
"""Scores off-policy estimators against the simulator's truth, in DOPE's form (Fu et al. 2021, "Benchmarks for Deep
Off-Policy Evaluation", ICLR; §4 metrics), from the `mtfsim evaluate --json` reports that scripts/ope-benchmark.sh
writes (per log: NAME.per-user-day.json, NAME.per-request.json, NAME.mwl.json, optionally NAME.fqe.json; per
world its truth, worldW.truth-K.json).

Per log and estimator, over the candidates it estimated:
  - normalised absolute error: mean |V̂ − V| / (max V − min V), the spread of the candidates' true values;
  - Spearman's rank correlation of V̂ with V (average ranks for ties);
  - normalised regret@1: (max V − V of the candidate with the largest V̂) / spread;
  - coverage: the share of candidates whose true value lies in the estimator's 95% interval.
The long-term truth V is reward per user-day on the logged users. Per-request (myopic) estimators estimate another
quantity, per-request reward: their error and coverage are scored against each candidate's own mean reward per
request (simulated in the same truth runs), their ranking against both truths. Each metric is then averaged over
the logs with a 95% t-interval across logs.

Usage: scripts/ope-benchmark.py OUT_DIR [--json]   (standard library only)
"""
from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

# Two-sided 95% Student-t quantiles by degrees of freedom (1..30); beyond, the normal's.
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
       2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t_interval(values: list[float]) -> tuple[float, float, float]:
    """Mean and 95% t-interval of `values` (nan bounds with fewer than two)."""
    m = statistics.fmean(values)
    if len(values) < 2:
        return m, math.nan, math.nan
    t = T95[len(values) - 2] if len(values) - 1 <= len(T95) else 1.96
    half = t * statistics.stdev(values) / math.sqrt(len(values))
    return m, m - half, m + half


def ranks(values: list[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            result[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return result


def spearman(x: list[float], y: list[float]) -> float:
    """Spearman's rank correlation: Pearson's on the ranks."""
    rx, ry = ranks(x), ranks(y)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else math.nan


def scores(estimates: list[dict[str, Any]], truths: list[float], rank_truths: list[float]) -> dict[str, float]:
    """DOPE's metrics of one estimator on one log: `truths` for error and coverage, `rank_truths` for ranking."""
    values = [e["value"] for e in estimates]
    spread = max(truths) - min(truths)
    rank_spread = max(rank_truths) - min(rank_truths)
    chosen = max(range(len(values)), key=lambda i: values[i])
    finite = all(math.isfinite(v) for v in values)
    return {
        "normalisedError": statistics.fmean(abs(v - t) for v, t in zip(values, truths)) / spread if finite else math.inf,
        "spearman": spearman(values, rank_truths) if finite else math.nan,
        "normalisedRegret": (max(rank_truths) - rank_truths[chosen]) / rank_spread,
        "coverage": statistics.fmean(1.0 if e["lower"] <= t <= e["upper"] else 0.0 for e, t in zip(estimates, truths)),
    }


def click_heavy(policy: str) -> bool:
    """A candidate whose click weight is 1, the box's top (click-only and the click-heavy grid point, noised or not)."""
    weights = policy.split("@")[-1].split(":")[-1]
    return weights.startswith("1,") or weights.startswith("1.0,")


def rank_shift(values: list[float], truths: list[float], names: list[str]) -> float:
    """Mean over the click-heavy candidates of their rank by `values` minus their rank by `truths` (rank 1 the
    lowest): positive when the values place click-heavy weights above where the truth does."""
    rv, rt = ranks(values), ranks(truths)
    shifts = [rv[i] - rt[i] for i, n in enumerate(names) if click_heavy(n)]
    return statistics.fmean(shifts) if shifts else math.nan


def load(path: Path) -> dict[str, Any] | None:
    """A report, or None when it is absent (its pass not run)."""
    return json.loads(path.read_text()) if path.exists() else None


def world_truths(out: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Per world, per candidate: the truth on the world's evaluated users, the replicates of every batch merged (value
    the mean, 95% t-interval over all replicates)."""
    merged: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(out.glob("world*.truth-*.json")):
        world = path.name.split(".")[0]
        report = json.loads(path.read_text())
        for p in report["policies"]:
            t = p["truth"]
            values = t.get("replicateValues") or [t["value"]]
            entry = merged.setdefault(world, {}).setdefault(p["policy"], {"values": [], "perRequest": [], "episodes": t["episodes"]})
            entry["values"] += values
            entry["perRequest"] += [t["perRequestReward"]] * len(values)
    for policies in merged.values():
        for entry in policies.values():
            entry["value"], entry["lower"], entry["upper"] = t_interval(entry["values"])
            entry["perRequestReward"] = statistics.fmean(entry["perRequest"])
    return merged


def main() -> None:
    out = Path(sys.argv[1])
    logs = sorted(p.name[: -len(".per-user-day.json")] for p in out.glob("*.per-user-day.json"))
    truths = world_truths(out)
    if not logs or not truths:
        sys.exit(f"ope-benchmark.py: no *.per-user-day.json or world*.truth-*.json in {out}")
    per_log: dict[str, dict[str, list[dict[str, float]]]] = {}
    truth_check = []
    myopic: dict[str, list[float]] = {}
    candidates: list[str] = []
    for world, truth in truths.items():
        policies = list(truth)
        values = [truth[p]["value"] for p in policies]
        spread = max(values) - min(values)
        half = max((t["upper"] - t["lower"]) / 2 for t in truth.values())
        truth_check.append({"world": world, "spread": spread, "largestHalfWidth": half, "ratio": half / spread,
                            "replicates": len(truth[policies[0]]["values"]), "episodes": truth[policies[0]]["episodes"],
                            "values": {p: [truth[p]["value"], truth[p]["lower"], truth[p]["upper"],
                                           truth[p]["perRequestReward"]] for p in policies}})
        myopic.setdefault("per-request truth", []).append(
            spearman([truth[p]["perRequestReward"] for p in policies], values))
        myopic.setdefault("per-request truth: click-heavy rank shift", []).append(
            rank_shift([truth[p]["perRequestReward"] for p in policies], values, policies))
    for name in logs:
        world = name.split("-")[0]
        truth = truths[world]
        policies = list(truth)
        candidates = candidates or policies
        for kind in ("per-user-day", "per-request", "mwl", "fqe"):
            report = load(out / f"{name}.{kind}.json")
            if report is None:
                continue
            if report["episodes"] != truth[policies[0]]["episodes"]:
                sys.exit(f"ope-benchmark.py: {name}.{kind}.json has {report['episodes']} episodes, the truth of {world} "
                         f"{truth[policies[0]]['episodes']}: give every log at least that many complete episodes")
            by_estimator: dict[str, dict[str, dict[str, Any]]] = {}
            for p in report["policies"]:
                for e in p["estimates"]:
                    by_estimator.setdefault(e["estimator"], {})[p["policy"]] = e
            for estimator, found in by_estimator.items():
                names = [p for p in policies if p in found]
                if len(names) < 3:
                    continue
                estimates = [found[p] for p in names]
                rank_truth = [truth[p]["value"] for p in names]
                if kind == "per-request":
                    row = scores(estimates, [truth[p]["perRequestReward"] for p in names], rank_truth)
                    row["spearmanPerRequestTruth"] = spearman([e["value"] for e in estimates],
                                                              [truth[p]["perRequestReward"] for p in names])
                    label = f"{estimator} (per-request)"
                else:
                    row = scores(estimates, rank_truth, rank_truth)
                    label = estimator
                row["clickHeavyRankShift"] = rank_shift([e["value"] for e in estimates], rank_truth, names)
                row["candidates"] = len(names)
                row["chosen"] = names[max(range(len(names)), key=lambda i: estimates[i]["value"])]
                per_log.setdefault(label, {}).setdefault(name, []).append(row)
    summary: dict[str, Any] = {"logs": logs, "candidates": candidates, "truth": truth_check, "estimators": {}}
    for label, by_log in per_log.items():
        rows = [r for rs in by_log.values() for r in rs]
        entry: dict[str, Any] = {"logs": len(by_log), "candidates": min(r["candidates"] for r in rows),
                                 "chosen": {log: rs[0]["chosen"] for log, rs in by_log.items()}}
        for metric in ("normalisedError", "spearman", "normalisedRegret", "coverage", "spearmanPerRequestTruth",
                       "clickHeavyRankShift"):
            xs = [r[metric] for r in rows if metric in r and math.isfinite(r[metric])]
            if xs:
                entry[metric] = t_interval(xs)
        summary["estimators"][label] = entry
    summary["myopic"] = {k: t_interval(v) for k, v in myopic.items()}
    if "--json" in sys.argv:
        print(json.dumps(summary, indent=1))
        return

    def cell(entry: dict[str, Any], metric: str, digits: int = 2) -> str:
        if metric not in entry:
            return "—"
        m, lo, hi = entry[metric]
        return f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]" if math.isfinite(lo) else f"{m:.{digits}f}"

    print(f"{len(logs)} logs, {len(candidates)} candidates; truth half-width / spread ≤ "
          f"{max(t['ratio'] for t in truth_check):.3f} (goal < 0.1)")
    print("| estimator | normalised abs. error | Spearman | normalised regret@1 | 95% coverage | click-heavy rank shift | logs |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, entry in sorted(summary["estimators"].items(), key=lambda kv: -kv[1].get("spearman", (-2,))[0]):
        print(f"| {label} | {cell(entry, 'normalisedError')} | {cell(entry, 'spearman')} | "
              f"{cell(entry, 'normalisedRegret')} | {cell(entry, 'coverage')} | {cell(entry, 'clickHeavyRankShift', 1)} | "
              f"{entry['logs']} |")
    behaviours = sorted({log.split("-", 1)[1] for log in logs})
    print(f"\nSpearman by behaviour log ({', '.join(behaviours)}), mean over worlds:")
    for label, by_log in sorted(per_log.items()):
        means = []
        for b in behaviours:
            xs = [r["spearman"] for log, rs in by_log.items() if log.split("-", 1)[1] == b for r in rs
                  if math.isfinite(r["spearman"])]
            means.append(f"{statistics.fmean(xs):.2f}" if xs else "—")
        print(f"  {label}: {'  '.join(means)}")
    for label, m in summary["myopic"].items():
        print(f"{label} (against the per-user-day truth): {m[0]:.2f} [{m[1]:.2f}, {m[2]:.2f}]")
    print("\ntruth per world (value [95% interval], per-request reward):")
    for t in truth_check:
        print(f"  {t['world']}: {t['replicates']} replicates of {t['episodes']} users' episodes, spread {t['spread']:.1f}, "
              f"largest half-width {t['largestHalfWidth']:.1f} ({t['ratio']:.3f} of the spread)")
        for p, (v, lo, hi, r) in sorted(t["values"].items(), key=lambda kv: -kv[1][0]):
            print(f"    {v:7.1f} [{lo:.1f}, {hi:.1f}]  {r:.3f}  {p}")


if __name__ == "__main__":
    main()

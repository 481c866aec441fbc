#!/usr/bin/env python3
"""Scores off-policy estimators against the simulator's truth, in DOPE's form (Fu et al. 2021, "Benchmarks for Deep
Off-Policy Evaluation", ICLR; §4 metrics), from the `mtfsim evaluate --json` reports that scripts/ope-benchmark.sh
writes (per log: NAME.per-user-day.json with the truth, NAME.per-request.json, optionally NAME.fqe.json).

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


def load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def main() -> None:
    out = Path(sys.argv[1])
    logs = sorted(p.name[: -len(".per-user-day.json")] for p in out.glob("*.per-user-day.json"))
    if not logs:
        sys.exit(f"ope-benchmark.py: no *.per-user-day.json in {out}")
    per_log: dict[str, dict[str, list[dict[str, float]]]] = {}
    truth_check = []
    myopic: dict[str, list[float]] = {}
    candidates: list[str] = []
    for name in logs:
        long_term = load(out / f"{name}.per-user-day.json")
        policies = [p["policy"] for p in long_term["policies"]]
        candidates = candidates or policies
        truth = {p["policy"]: p["truth"] for p in long_term["policies"]}
        values = [truth[p]["value"] for p in policies]
        spread = max(values) - min(values)
        half = max((t["upper"] - t["lower"]) / 2 for t in truth.values())
        truth_check.append({"log": name, "spread": spread, "largestHalfWidth": half, "ratio": half / spread,
                            "best": policies[values.index(max(values))], "worst": policies[values.index(min(values))]})
        per_request_truth = [truth[p]["perRequestReward"] for p in policies]
        myopic.setdefault("per-request truth", []).append(spearman(per_request_truth, values))
        for kind in ("per-user-day", "per-request", "fqe"):
            report = long_term if kind == "per-user-day" else load(out / f"{name}.{kind}.json")
            if report is None:
                continue
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
                row["candidates"] = len(names)
                per_log.setdefault(label, {}).setdefault(name, []).append(row)
    summary = {"logs": logs, "candidates": candidates, "truth": truth_check, "estimators": {}}
    for label, by_log in per_log.items():
        rows = [r for rs in by_log.values() for r in rs]
        entry = {"logs": len(by_log), "candidates": min(r["candidates"] for r in rows)}
        for metric in ("normalisedError", "spearman", "normalisedRegret", "coverage", "spearmanPerRequestTruth"):
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
    print("| estimator | normalised abs. error | Spearman | normalised regret@1 | 95% coverage | logs |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, entry in sorted(summary["estimators"].items(), key=lambda kv: -kv[1].get("spearman", (-2,))[0]):
        print(f"| {label} | {cell(entry, 'normalisedError')} | {cell(entry, 'spearman')} | "
              f"{cell(entry, 'normalisedRegret')} | {cell(entry, 'coverage')} | {entry['logs']} |")
    m = summary["myopic"]["per-request truth"]
    print(f"\nSpearman of the per-request truth with the per-user-day truth: {m[0]:.2f} [{m[1]:.2f}, {m[2]:.2f}]")


if __name__ == "__main__":
    main()

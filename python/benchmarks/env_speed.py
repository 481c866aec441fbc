"""Steps/s of mtfsim.Env and mtfsim.VectorEnv against the native simulator, measured in one run.

    python python/benchmarks/env_speed.py --cli .build/release/mtfsim [--env short-video] [--json]

The native rate is `mtfsim bench simulate` (whole episodes under the baseline weights, 1 and 2 threads); the
Python environments step the same world with the same baseline weights through the C ABI, one request per call
(Env) or one request of every user per call (VectorEnv at 64 and 256 users, 1 and 2 threads). Each figure is the
median of --repeats runs; the machine's noise makes ratios within one run the figures to compare.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

import mtfsim


def native_rates(cli: str, env: str, repeats: int) -> dict[int, float]:
    out = subprocess.run([cli, "bench", "simulate", "--env", env, "--threads", "1,2", "--repeats", str(repeats), "--json"],
                         check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    rows = result.get("runs") or result.get("results") or result.get("rows") or result
    rates: dict[int, float] = {}
    for row in rows if isinstance(rows, list) else []:
        rates[int(row["threads"])] = float(row["requestsPerSecond"])
    if not rates:
        raise SystemExit(f"unexpected `bench simulate --json` output: {out[:400]}")
    return rates


def single_env_rate(env_name: str, steps: int) -> float:
    env = mtfsim.Env(env_name, seed=1)
    env.reset(seed=1)
    action = env.baseline
    start = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    rate = steps / (time.perf_counter() - start)
    env.close()
    return rate


def vector_env_rate(env_name: str, users: int, threads: int, steps: int) -> float:
    env = mtfsim.VectorEnv(users, env_name, seed=1, threads=threads)
    env.reset(seed=1)
    actions = np.tile(env.baseline, (users, 1))
    calls = max(steps // users, 1)
    start = time.perf_counter()
    for _ in range(calls):
        env.step(actions)
    rate = calls * users / (time.perf_counter() - start)
    env.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", required=True, help="the release mtfsim binary (native rate)")
    parser.add_argument("--env", default="short-video", help="preset (default short-video)")
    parser.add_argument("--steps", type=int, default=100_000, help="environment steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()

    native = native_rates(args.cli, args.env, args.repeats)
    rows: list[dict[str, Any]] = []

    def measure(name: str, users: int, threads: int, run: Any) -> None:
        rate = statistics.median(run() for _ in range(args.repeats))
        rows.append({"interface": name, "users": users, "threads": threads, "stepsPerSecond": rate,
                     "ofNative": rate / native[threads] if threads in native else None})

    measure("Env", 1, 1, lambda: single_env_rate(args.env, args.steps // 5))
    for users in (64, 256):
        for threads in (1, 2):
            measure("VectorEnv", users, threads, lambda: vector_env_rate(args.env, users, threads, args.steps))
    report = {"environment": args.env, "nativeRequestsPerSecond": native, "python": sys.version.split()[0],
              "rows": rows}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{args.env}: native `mtfsim bench simulate` "
          + ", ".join(f"{t} thread(s) {r:,.0f} requests/s" for t, r in sorted(native.items())))
    print(f"{'interface':<10} {'users':>5} {'threads':>7} {'steps/s':>10} {'of native':>9}")
    for r in rows:
        share = f"{100 * r['ofNative']:.0f}%" if r["ofNative"] is not None else "-"
        print(f"{r['interface']:<10} {r['users']:>5} {r['threads']:>7} {r['stepsPerSecond']:>10,.0f} {share:>9}")


if __name__ == "__main__":
    main()

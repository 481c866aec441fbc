#!/usr/bin/env python3
"""Sharded simulation on Ray: S shards of one run, each a Ray task over a disjoint range of episodes.

Episodes 0..N-1 of one world (environment, seed, policy) are split into S contiguous ranges. Each range runs as a
Ray task (one CPU) that calls the mtfsim CLI, ``mtfsim simulate --episodes LOW..HIGH --threads 1
--no-log-writer-thread`` (one thread that also writes the log, so the task uses the one CPU it reserves), writing its
own SQLite episode log under --out, exports that log to Parquet (``mtfsim.export.to_parquet``: RLlib's offline columns)
and returns its ``simulate --json`` summary. The driver combines the summaries.

Why the shards are one run: episode e meets user ``e mod users`` and draws only from the random streams keyed by
(seed, e), so it is the same in any run of the world and seed; the union of the shards' logs holds exactly the
sessions, steps and impressions of ``mtfsim simulate --episodes 0..N`` (python/tests/test_ray_simulate.py checks it).

Where things run: the driver runs here; tasks run on any node of the Ray cluster (``--address``, else $RAY_ADDRESS,
else a local Ray started for this run). On a real cluster every node needs the mtfsim CLI at the same --cli path and
this Python package installed, and --out must be storage that every node and the driver see (NFS, a shared volume):
each task writes its log and Parquet file there, the driver only reads summaries.

Examples:
  python ray_simulate.py --shards 2 --episodes 2000 --cli .build/release/mtfsim
  python ray_simulate.py --shards 8 --sessions 200000 --address ray://head:10001 --cli /opt/mtfsim/bin/mtfsim \\
      --out /shared/mtfsim/run1 --json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from mtfsim.evaluation import student_t_quantile as t_quantile

REPO = Path(__file__).resolve().parent.parent.parent


# MARK: splitting and running shards


def split(episodes: int, shards: int) -> list[tuple[int, int]]:
    """`episodes` split into `shards` contiguous ranges [low, high) of sizes differing by at most one."""
    if shards < 1 or episodes < shards:
        raise ValueError(f"cannot split {episodes} episodes into {shards} non-empty shards")
    base, extra = divmod(episodes, shards)
    ranges, low = [], 0
    for i in range(shards):
        high = low + base + (1 if i < extra else 0)
        ranges.append((low, high))
        low = high
    return ranges


@dataclass
class ShardResult:
    """What one shard did: its range, files, `simulate --json` summary and costs."""

    low: int
    high: int
    node: str  # the host's name
    node_id: str | None  # the Ray node that ran the shard (None when run outside Ray)
    log: str
    parquet: str | None
    parquet_rows: int | None
    summary: dict[str, Any]
    simulate_seconds: float  # the mtfsim process, wall clock
    export_seconds: float
    peak_rss_mib: float  # the mtfsim process's peak resident memory (VmHWM sampled every 50 ms on Linux)


def _peak_rss_kib(pid: int) -> int | None:
    """The process's peak resident set so far (Linux `VmHWM`), or None where /proc does not tell."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _run_cli(arguments: list[str]) -> tuple[str, float, float]:
    """Runs the CLI to completion; returns (stdout, wall seconds, peak RSS in MiB of that process alone).

    The peak is the child's `VmHWM`, sampled every 50 ms until it exits (so growth in its last 50 ms is missed).
    Not `ru_maxrss`: on Linux a child's maxrss also counts the forking process's memory from before `exec`, here
    the Ray worker's. Without /proc (macOS) it falls back to `ru_maxrss`."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(arguments, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak: int | None = None
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid != 0:
                break
            peak = _peak_rss_kib(process.pid) or peak
            time.sleep(0.05)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            message = err.read().strip().splitlines()
            raise RuntimeError(f"{' '.join(arguments)} exited {process.returncode} on {socket.gethostname()}: "
                               + (message[-1] if message else "no error output"))
        if peak is not None:
            rss_mib = peak / 1024
        else:
            rss_mib = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)
        return out.read(), seconds, rss_mib


def _ray_node_id() -> str | None:
    """The id of the Ray node this runs on (several nodes may share a host), or None outside a Ray worker."""
    try:
        import ray

        return ray.get_runtime_context().get_node_id() if ray.is_initialized() else None
    except ImportError:
        return None


def run_shard(cli: str, low: int, high: int, out: str, environment: str, seed: int, policy: str | None,
              export: bool, writer_thread: bool = False) -> ShardResult:
    """One shard: `mtfsim simulate --episodes low..high --threads 1 [--no-log-writer-thread]` into
    `out/shard-<low>-<high>.sqlite`, then that log to `out/shard-<low>-<high>.parquet`. Runs wherever Ray places it;
    `cli` and `out` must exist there."""
    if not os.access(cli, os.X_OK):
        raise FileNotFoundError(f"--cli {cli}: no mtfsim executable at this path on node {socket.gethostname()} "
                                "(every node needs the CLI at the same path)")
    os.makedirs(out, exist_ok=True)
    stem = os.path.join(out, f"shard-{low}-{high}")
    # By default one simulation thread that also writes the log: the process uses the one CPU the task reserves
    # (Ray does not stop a task from using more, and a writer thread of its own takes ~0.4 core from its neighbour).
    arguments = [cli, "simulate", "--env", environment, "--seed", str(seed), "--episodes", f"{low}..{high}",
                 "--threads", "1", "--log", stem + ".sqlite", "--json"]
    if not writer_thread:
        arguments.append("--no-log-writer-thread")
    if policy is not None:
        arguments += ["--policy", policy]
    stdout, seconds, rss = _run_cli(arguments)
    report = json.loads(stdout)
    parquet, rows, export_seconds = None, None, 0.0
    if export:
        from mtfsim.export import to_parquet  # the package must be installed on every node

        start = time.perf_counter()
        rows = to_parquet(stem + ".sqlite", stem + ".parquet")
        export_seconds = time.perf_counter() - start
        parquet = stem + ".parquet"
    return ShardResult(low=low, high=high, node=socket.gethostname(), node_id=_ray_node_id(), log=stem + ".sqlite",
                       parquet=parquet, parquet_rows=rows, summary=report["summary"], simulate_seconds=seconds,
                       export_seconds=export_seconds, peak_rss_mib=rss)


def episodes_for_sessions(cli: str, sessions: int, environment: str, seed: int, policy: str | None,
                          pilot: int = 64) -> int:
    """The episodes that hold about `sessions` sessions: a pilot `simulate --episodes 0..pilot --no-log` measures
    sessions per episode, and the count is rounded up. Shards simulate whole episodes, so the total is close to
    `sessions`, not equal; use --episodes for an exact, reproducible size."""
    arguments = [cli, "simulate", "--env", environment, "--seed", str(seed), "--episodes", f"0..{pilot}",
                 "--threads", "1", "--no-log", "--json"]
    if policy is not None:
        arguments += ["--policy", policy]
    stdout, _, _ = _run_cli(arguments)
    summary = json.loads(stdout)["summary"]
    return max(1, math.ceil(sessions * summary["episodes"] / summary["sessions"]))


# MARK: combining summaries


def _number(value: Any) -> float:
    """A summary number (`simulate --json` writes NaN and infinities as strings)."""
    return float(value) if not isinstance(value, str) else float(value.replace("inf", "Infinity"))


def combine(summaries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The summary of the shards together, from their `simulate --json` summaries alone.

    Counts add up; per-session and per-impression rates are weighted by sessions and impressions. Reward per
    user-day is a mean over episodes with a 95% t-interval over all of them: every episode of a range run is
    complete, so a shard's interval gives its episodes' standard deviation exactly, and the shards' means and
    deviations pool into those of all episodes. Quantiles (requests/session p10…p90, return-gap medians) and the
    clustered interval of reward/session do not combine from summaries and are left out."""
    count = {key: sum(int(s[key]) for s in summaries) for key in ("sessions", "episodes", "requests", "impressions",
                                                                  "truncatedSessions")}
    sessions, impressions = max(count["sessions"], 1), max(count["impressions"], 1)

    def weighted(values: list[float], weights: list[float]) -> float:
        total = sum(weights)
        return sum(v * w for v, w in zip(values, weights)) / total if total > 0 else math.nan

    session_weights = [float(s["sessions"]) for s in summaries]
    tasks = sorted(summaries[0]["ratePerImpression"])
    rates = {task: sum(_number(s["ratePerImpression"][task]) * s["impressions"] for s in summaries) / impressions
             for task in tasks}
    watch = sum(_number(s["watchSecondsPerSession"]) * s["sessions"] for s in summaries)

    # Requests per session: pooled mean and standard deviation (sample variances, n - 1).
    depth_mean = count["requests"] / sessions
    depth_ss = sum((s["sessions"] - 1) * _number(s["requestsPerSession"]["standardDeviation"]) ** 2
                   + s["sessions"] * (_number(s["requestsPerSession"]["mean"]) - depth_mean) ** 2 for s in summaries)
    depth_sd = math.sqrt(depth_ss / (count["sessions"] - 1)) if count["sessions"] > 1 else math.nan

    # Reward per user-day over episodes: each shard's t-interval gives its standard deviation.
    n = [int(s["episodes"]) for s in summaries]
    means = [_number(s["rewardPerUserDay"]["mean"]) for s in summaries]
    sds = []
    for s, k in zip(summaries, n):
        upper = _number(s["rewardPerUserDay"]["upper"])
        sds.append((upper - _number(s["rewardPerUserDay"]["mean"])) * math.sqrt(k) / t_quantile(0.975, k - 1)
                   if k > 1 else 0.0)
    total = sum(n)
    mean = sum(m * k for m, k in zip(means, n)) / total
    if total > 1:
        ss = sum((k - 1) * sd * sd + k * (m - mean) ** 2 for m, sd, k in zip(means, sds, n))
        half = t_quantile(0.975, total - 1) * math.sqrt(ss / (total - 1)) / math.sqrt(total)
        per_day = {"mean": mean, "lower": mean - half, "upper": mean + half}
    else:
        per_day = {"mean": mean, "lower": math.nan, "upper": math.nan}

    gaps = [s["returnGaps"] for s in summaries]
    returned = [float(g["returned"]) for g in gaps]
    return {
        **count,
        "requestsPerSession": {"mean": depth_mean, "standardDeviation": depth_sd},
        "impressionsPerSession": count["impressions"] / sessions,
        "ratePerImpression": rates,
        "watchSecondsPerSession": watch / sessions,
        "watchSecondsPerImpression": watch / impressions,
        "rewardPerSession": {"mean": weighted([_number(s["rewardPerSession"]["mean"]) for s in summaries],
                                              session_weights)},
        "sessionsPerUserDay": weighted([_number(s["sessionsPerUserDay"]) for s in summaries], [float(k) for k in n]),
        "rewardPerUserDay": per_day,
        "returnGaps": {
            "returned": int(sum(returned)),
            "churnRate": weighted([_number(g["churnRate"]) for g in gaps], session_weights),
            "shareUnderTwoHours": weighted([_number(g["shareUnderTwoHours"]) for g in gaps], returned),
            "shareTwoHoursOrMore": weighted([_number(g["shareTwoHoursOrMore"]) for g in gaps], returned),
            "meanHours": weighted([_number(g["meanHours"]) for g in gaps], returned),
        },
    }


# MARK: the driver


@dataclass
class Report:
    """The sharded run: its shards, their combined summary, and the end-to-end rate."""

    environment: str
    seed: int
    policy: str | None
    episodes: int
    shards: list[ShardResult]
    combined: dict[str, Any]
    wall_seconds: float  # from submitting the tasks to the last result (simulation and export)
    requests_per_second: float  # combined requests / wall_seconds
    cluster_cpus: float
    log_writer_thread: bool  # whether each shard's log had a writer thread of its own
    out: str
    notes: list[str] = field(default_factory=list)


def default_cli() -> str:
    """`mtfsim` on PATH, else this checkout's release build, else its debug build."""
    found = shutil.which("mtfsim")
    if found:
        return found
    for kind in ("release", "debug"):
        path = REPO / ".build" / kind / "mtfsim"
        if os.access(path, os.X_OK):
            return str(path)
    return "mtfsim"


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Each shard is `mtfsim simulate --episodes LOW..HIGH --threads 1` in a Ray task (1 CPU); disjoint "
               "ranges of one world and seed together are exactly one run over all the episodes. On a cluster the "
               "CLI must be at the same --cli path on every node, the package installed there, and --out on "
               "storage that every node sees.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--shards", type=int, required=True, help="Ray tasks, each a contiguous range of episodes")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--episodes", type=int, help="episodes 0..N-1 in all (exact: the union equals "
                                                   "`mtfsim simulate --episodes 0..N`)")
    size.add_argument("--sessions", type=int, help="about this many sessions: mapped to whole episodes with a "
                                                   "64-episode pilot's sessions per episode (rounded up)")
    parser.add_argument("--env", default="short-video", help="environment: a preset name or a YAML file (a file "
                                                            "must be at the same path on every node)")
    parser.add_argument("--seed", type=int, default=1, help="the world's and the streams' seed")
    parser.add_argument("--policy", help="fusion policy spec (default: the CLI's)")
    parser.add_argument("--address", help="Ray cluster to join (e.g. ray://head:10001 or auto); default "
                                          "$RAY_ADDRESS, else a local Ray started for this run")
    parser.add_argument("--num-cpus", type=int, help="CPUs of the local Ray started when there is no cluster "
                                                     "(default: all)")
    parser.add_argument("--cli", default=default_cli(), help="the mtfsim executable, at this path on every node")
    parser.add_argument("--out", help="folder for the shards' logs and Parquet files, shared by all nodes on a "
                                      "cluster (default: logs/ray-<env>-seed<S>-<time>)")
    parser.add_argument("--no-export", action="store_true", help="skip the Parquet export (simulation only)")
    parser.add_argument("--log-writer-thread", action="store_true",
                        help="give each shard's log a writer thread of its own: faster while a node has idle cores, "
                             "but a shard then uses ~1.4 CPUs while it reserves 1 (default: one thread per shard)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.shards < 1:
        parser.error(f"--shards must be positive, got {args.shards}")
    for name in ("episodes", "sessions"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be positive, got {value}")
    if args.episodes is not None and args.episodes < args.shards:
        parser.error(f"--episodes {args.episodes} is fewer than --shards {args.shards}: every shard needs an episode")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    import ray  # after parsing, so that --help works without Ray

    cli = str(Path(args.cli).resolve()) if os.path.exists(args.cli) else args.cli
    environment = str(Path(args.env).resolve()) if os.path.isfile(args.env) else args.env
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    out = str(Path(args.out or f"logs/ray-{Path(args.env).stem}-seed{args.seed}-{stamp}").resolve())
    if os.path.isdir(out) and any(Path(out).glob("shard-*")):
        print(f"error: --out {out} already holds shard files; give a new folder", file=sys.stderr)
        return 2
    notes = []
    episodes = args.episodes
    if episodes is None:
        episodes = episodes_for_sessions(cli, args.sessions, environment, args.seed, args.policy)
        notes.append(f"--sessions {args.sessions} ran as {episodes} whole episodes (pilot estimate)")
        if episodes < args.shards:
            print(f"error: --sessions {args.sessions} is only {episodes} episodes, fewer than --shards "
                  f"{args.shards}", file=sys.stderr)
            return 2

    address = args.address or os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, logging_level="warning", log_to_driver=False)
    else:
        ray.init(num_cpus=args.num_cpus, logging_level="warning", log_to_driver=False, include_dashboard=False)
    try:
        cpus = float(ray.cluster_resources().get("CPU", 0))
        task = ray.remote(num_cpus=1, max_retries=0)(run_shard)
        start = time.perf_counter()
        futures = [task.remote(cli, low, high, out, environment, args.seed, args.policy, not args.no_export,
                               args.log_writer_thread)
                   for low, high in split(episodes, args.shards)]
        shards: list[ShardResult] = ray.get(futures)
        wall = time.perf_counter() - start
    finally:
        ray.shutdown()

    combined = combine([s.summary for s in shards])
    if args.shards > cpus:
        notes.append(f"{args.shards} shards on {cpus:g} CPUs: some shards waited for a CPU")
    report = Report(environment=args.env, seed=args.seed, policy=args.policy, episodes=episodes, shards=shards,
                    combined=combined, wall_seconds=wall, requests_per_second=combined["requests"] / wall,
                    cluster_cpus=cpus, log_writer_thread=args.log_writer_thread, out=out, notes=notes)
    if args.json:
        print(json.dumps(asdict(report), indent=2, default=str))
        return 0
    c = combined
    per_day = c["rewardPerUserDay"]
    print(f"{args.env} · seed {args.seed} · {episodes} episodes in {args.shards} shard(s) on {cpus:g} CPU(s) · {out}")
    for s in shards:
        print(f"  episodes {s.low}..{s.high} on {s.node}: {s.summary['requests']} requests, simulate "
              f"{s.simulate_seconds:.2f} s ({s.summary['requests'] / s.simulate_seconds:.0f} requests/s), "
              f"export {s.export_seconds:.2f} s, peak RSS {s.peak_rss_mib:.0f} MiB")
    print(f"{wall:.2f} s, {c['requests'] / wall:.0f} requests/s")
    print(f"sessions {c['sessions']} in {c['episodes']} episodes; {c['requests']} requests; "
          f"{c['impressions']} impressions")
    print(f"reward/user/day {per_day['mean']:.3f} [{per_day['lower']:.3f}, {per_day['upper']:.3f}] "
          "(95% t-interval over all episodes)")
    for note in notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

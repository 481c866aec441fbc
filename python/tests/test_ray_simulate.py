"""python/examples/ray_simulate.py: shards on a local Ray are one run.

Two shards of the tiny world, run as Ray tasks, hold exactly the logical content of one
`mtfsim simulate --episodes 0..N` (every session, step and impression row, apart from the run's name and id), their
Parquet exports hold all the steps, and the combined summary is the one run's summary. Marked `ray` (run by
`make ray-smoke`); skipped when Ray is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import REPO

SCRIPT = REPO / "python" / "examples" / "ray_simulate.py"
EPISODES = 90


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ray_simulate", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def rows(log: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the content tables, without `run_id`, in key order: the log's logical content apart from the
    `runs` row."""
    db = sqlite3.connect(f"file:{log}?mode=ro", uri=True)
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in ("sessions", "steps", "impressions", "candidates"):
        columns = [c[1] for c in db.execute(f"PRAGMA table_info({table})") if c[1] != "run_id"]
        key = ["episode", "session_index", "request_index", "position"]
        order = ", ".join(k for k in key if k in columns)
        out[table] = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}").fetchall()
    db.close()
    return out


def run_row(log: Path) -> dict[str, Any]:
    db = sqlite3.connect(f"file:{log}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    row = dict(db.execute("SELECT * FROM runs").fetchone())
    db.close()
    return {k: v for k, v in row.items() if k not in ("id", "name", "created_at", "finished_at")}


def test_split_covers_the_episodes_in_contiguous_near_equal_ranges() -> None:
    split = load_script().split
    assert split(10, 3) == [(0, 4), (4, 7), (7, 10)]
    assert split(5, 5) == [(i, i + 1) for i in range(5)]
    with pytest.raises(ValueError):
        split(2, 3)


@pytest.mark.ray
def test_two_shards_on_ray_are_one_run(cli: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "shards"
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # a local Ray for this test
    result = subprocess.run([sys.executable, str(SCRIPT), "--shards", "2", "--episodes", str(EPISODES), "--env", "tiny",
                             "--seed", "3", "--cli", str(cli), "--out", str(out), "--num-cpus", "2", "--json"],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    shards = report["shards"]
    assert [(s["low"], s["high"]) for s in shards] == [(0, 45), (45, 90)]
    assert report["log_writer_thread"] is False and all(s["node_id"] for s in shards)

    whole = tmp_path / "whole.sqlite"
    one = subprocess.run([str(cli), "simulate", "--env", "tiny", "--seed", "3", "--episodes", f"0..{EPISODES}",
                          "--threads", "2", "--log", str(whole), "--json"], capture_output=True, text=True, timeout=600)
    assert one.returncode == 0, one.stderr
    reference = json.loads(one.stdout)["summary"]

    # Equal logical content: the shards' rows together are the one run's rows, and the runs differ only by name.
    expected = rows(whole)
    parts = [rows(Path(s["log"])) for s in shards]
    for table, reference_rows in expected.items():
        together = sorted(parts[0][table] + parts[1][table], key=repr)
        assert together == sorted(reference_rows, key=repr), f"{table}: the shards are not the one run"
    assert expected["steps"], "the reference run logged no steps"
    assert all(run_row(Path(s["log"])) == run_row(whole) for s in shards)

    # Every step is in the shards' Parquet files.
    parquet_rows = sum(pq.read_metadata(s["parquet"]).num_rows for s in shards)
    assert parquet_rows == len(expected["steps"]) == sum(s["parquet_rows"] for s in shards)

    # The combined summary is the one run's.
    combined = report["combined"]
    for key in ("sessions", "episodes", "requests", "impressions", "truncatedSessions"):
        assert combined[key] == reference[key], key
    assert combined["requestsPerSession"]["mean"] == pytest.approx(reference["requestsPerSession"]["mean"], rel=1e-12)
    assert combined["requestsPerSession"]["standardDeviation"] == pytest.approx(
        reference["requestsPerSession"]["standardDeviation"], rel=1e-9)
    assert combined["watchSecondsPerSession"] == pytest.approx(reference["watchSecondsPerSession"], rel=1e-9)
    assert combined["sessionsPerUserDay"] == pytest.approx(reference["sessionsPerUserDay"], rel=1e-9)
    for task, rate in reference["ratePerImpression"].items():
        assert combined["ratePerImpression"][task] == pytest.approx(rate, rel=1e-9), task
    assert combined["rewardPerSession"]["mean"] == pytest.approx(reference["rewardPerSession"]["mean"], rel=1e-9)
    for bound in ("mean", "lower", "upper"):
        assert combined["rewardPerUserDay"][bound] == pytest.approx(reference["rewardPerUserDay"][bound], rel=1e-7), bound
    assert math.isclose(report["requests_per_second"], combined["requests"] / report["wall_seconds"])


@pytest.mark.ray
def test_refusals_name_the_option(cli: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    for arguments, words in [(["--shards", "3", "--episodes", "2"], "--episodes 2 is fewer than --shards 3"),
                             (["--shards", "0", "--episodes", "2"], "--shards must be positive"),
                             (["--shards", "2"], "--episodes"),
                             (["--shards", "2", "--episodes", "4", "--sessions", "9"], "not allowed with")]:
        result = subprocess.run([sys.executable, str(SCRIPT), "--cli", str(cli), "--out", str(tmp_path / "x"),
                                 *arguments], capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and words in result.stderr, (arguments, result.stderr)
    assert not (tmp_path / "x").exists()

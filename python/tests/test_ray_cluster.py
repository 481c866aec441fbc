"""The Ray examples on a multi-node Ray cluster, joined with `--address` as on a real one.

`ray.cluster_utils.Cluster` starts a head node (no CPUs: it schedules, it runs nothing) and two worker nodes, each
its own raylet and object store on this machine, as Ray's own multi-node tests do. The scripts are run unchanged as
subprocesses that join it with `--address HOST:PORT`: their tasks and env runners are placed on the worker nodes
by Ray, and their files go through the shared `--out` folder, as on a cluster with shared storage. Marked `ray`
(run by `make ray-smoke`); skipped when Ray is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import package_env
from test_ray_simulate import SCRIPT, rows, run_row

pytestmark = pytest.mark.ray

EXAMPLES = SCRIPT.parent
WORKERS = 2


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    cluster_utils = pytest.importorskip("ray.cluster_utils")
    store = 100 * 2**20  # bytes per node; the scripts pass summaries and small batches through it
    cluster = cluster_utils.Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "object_store_memory": store, "include_dashboard": False})
    try:
        for _ in range(WORKERS):
            cluster.add_node(num_cpus=1, object_store_memory=store)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()


def worker_node_ids(cluster: Any) -> set[str]:
    return {node.node_id for node in cluster.list_all_nodes() if node is not cluster.head_node}


def run_script(name: str, cluster: Any, *arguments: str) -> dict[str, Any]:
    # The address is given as users give it, not through $RAY_ADDRESS.
    env = package_env({k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"})
    done = subprocess.run([sys.executable, str(EXAMPLES / name), "--address", cluster.address, *arguments, "--json"],
                          capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_shards_run_on_different_nodes_and_are_one_run(cluster: Any, cli: Path, tmp_path: Path) -> None:
    """With the logs' writer threads (`--log-writer-thread`; test_ray_simulate.py runs the default, one thread)."""
    pytest.importorskip("pyarrow")
    report = run_script("ray_simulate.py", cluster, "--shards", "2", "--episodes", "60", "--env", "tiny", "--seed",
                        "5", "--cli", str(cli), "--out", str(tmp_path / "shards"), "--log-writer-thread")
    shards = report["shards"]
    assert report["cluster_cpus"] == WORKERS and report["log_writer_thread"] is True
    nodes = [s["node_id"] for s in shards]
    assert set(nodes) == worker_node_ids(cluster), f"one shard per worker node (1 CPU each), got {nodes}"

    whole = tmp_path / "whole.sqlite"
    one = subprocess.run([str(cli), "simulate", "--env", "tiny", "--seed", "5", "--episodes", "0..60", "--log",
                          str(whole), "--json"], capture_output=True, text=True, timeout=600)
    assert one.returncode == 0, one.stderr
    expected = rows(whole)
    parts = [rows(Path(s["log"])) for s in shards]
    for table, reference in expected.items():
        assert sorted(parts[0][table] + parts[1][table], key=repr) == sorted(reference, key=repr), table
    assert all(run_row(Path(s["log"])) == run_row(whole) for s in shards)
    assert sum(s["parquet_rows"] for s in shards) == len(expected["steps"]) > 0
    assert report["combined"]["requests"] == json.loads(one.stdout)["summary"]["requests"]


def test_rllib_ppo_trains_on_the_cluster(cluster: Any, cli: Path, tmp_path: Path) -> None:
    """Two env runners of 1 CPU each: with no CPU on the head, Ray can only place them on the worker nodes."""
    pytest.importorskip("ray.rllib")
    out = tmp_path / "ppo"
    results = run_script("rllib_train.py", cluster, "--algo", "ppo", "--env", "tiny", "--env-runners", "2",
                         "--envs-per-runner", "2", "--iterations", "1", "--batch", "128", "--eval-episodes", "4",
                         "--cli", str(cli), "--out", str(out))
    assert (out / "ppo-checkpoint").is_dir()
    assert json.loads((out / "results.json").read_text()) == results
    assert results["env_runners"] == 2 and results["iterations"] == 1 and results["env_steps"] >= 128
    policies = results["policies"]
    assert {"baseline", "uniformly random weights", "CEM (mtfsim train --agent cem)"} < set(policies)
    assert all(p["lower"] <= p["mean"] <= p["upper"] for p in policies.values())


def test_rllib_bc_reads_the_parquet_export_through_ray_data_on_the_cluster(cluster: Any, cli: Path,
                                                                          tmp_path: Path) -> None:
    """Ray Data's read tasks and RLlib's pre-learner run on the worker nodes and read the export from `--out`."""
    pytest.importorskip("ray.rllib")
    results = run_script("rllib_offline.py", cluster, "--sessions", "200", "--env", "tiny", "--algos", "bc",
                         "--iterations", "1", "--updates-per-iteration", "2", "--mtfsim-agents", "bc",
                         "--mtfsim-steps", "5", "--eval-episodes", "4", "--cli", str(cli), "--out", str(tmp_path / "bc"))
    row = results["policies"]["RLlib BC (2 steps)"]
    assert row["updates"] == 2 and row["samples"] > 0 and Path(row["checkpoint"]).is_dir()
    assert row["lower"] <= row["mean"] <= row["upper"]
    assert "MTFSim bc (5 steps)" in results["policies"]

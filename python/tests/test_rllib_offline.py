"""python/examples/rllib_offline.py as a smoke test: RLlib's BC and CQL read MTFSim's Parquet export as it is (the
committed column mapping, no rewritten copy), train a few steps on the tiny world, and are evaluated beside MTFSim's
own offline learners on the same held-out episodes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import package_env

pytestmark = pytest.mark.ray

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EPISODES = 6


def load() -> object:
    spec = importlib.util.spec_from_file_location("rllib_offline", EXAMPLES / "rllib_offline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rllib_offline"] = module
    spec.loader.exec_module(module)
    return module


def test_read_schema_maps_rllib_columns_onto_the_exports_own() -> None:
    pytest.importorskip("ray.rllib")
    from ray.rllib.core.columns import Columns
    from ray.rllib.offline.offline_prelearner import SCHEMA

    from mtfsim.export import parquet_schema

    example = load()
    example.check_schema()
    schema = example.READ_SCHEMA
    assert schema[Columns.OBS] == "obs" and schema[Columns.NEXT_OBS] == "new_obs"
    assert set(schema) <= set(SCHEMA), "every key is one RLlib's OfflinePreLearner maps"

    class Run:  # the three name lists parquet_schema needs
        state_names, action_names, reward_component_names = ["a", "b"], ["w"], ["c"]

    exported = parquet_schema(Run()).names
    assert set(example.read_columns()) <= set(exported)
    # RLlib's columns of the export, in its order, but the behaviour's log density of the raw weights.
    assert example.read_columns() == [c for c in exported[:9] if c != "action_logp"]


def test_scaling_maps_the_weight_box_onto_the_unit_box() -> None:
    pytest.importorskip("ray.rllib")
    example = load()
    scaling = example.OfflineScaling(np.zeros(2, np.float32), np.ones(2, np.float32),
                                     np.array([0.0, -6.0], np.float32), np.array([1.0, 0.0], np.float32))
    assert np.allclose(scaling.unit(np.array([[0.0, -6.0], [1.0, 0.0], [0.5, -3.0]])),
                       [[-1 + 1e-4, -1 + 1e-4], [1 - 1e-4, 1 - 1e-4], [0, 0]], atol=1e-6)
    assert np.allclose(scaling.weights(np.array([[-1.0, 1.0], [5.0, -5.0]])), [[0.0, 0.0], [1.0, -6.0]])
    w = np.array([[0.25, -1.5]], np.float32)
    assert np.allclose(scaling.weights(scaling.unit(w)), w, atol=1e-6)


def test_bc_and_cql_from_the_parquet_export_on_tiny(cli: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray.rllib")
    pq = pytest.importorskip("pyarrow.parquet")
    import mtfsim.export
    from mtfsim.evaluation import held_out_value
    from mtfsim.log import open_log

    out = tmp_path / "offline"
    env = package_env()
    # As users run it: a script (__main__), whose pre-learner class Ray ships to its Ray Data workers by value.
    done = subprocess.run([sys.executable, str(EXAMPLES / "rllib_offline.py"), "--sessions", "300", "--cli", str(cli),
                           "--env", "tiny", "--algos", "bc,cql", "--iterations", "2", "--updates-per-iteration", "3",
                           "--mtfsim-agents", "td3bc,bc", "--mtfsim-steps", "10", "--eval-episodes", str(EPISODES),
                           "--out", str(out), "--json"], capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(done.stdout)
    assert results == json.loads((out / "results.json").read_text())
    assert results["environment"] == "tiny" and results["eval_episodes"] == EPISODES and results["transitions"] > 0

    policies = results["policies"]
    assert list(policies) == ["baseline", f"behaviour {results['behaviour']}", "MTFSim td3bc (10 steps)",
                              "MTFSim bc (10 steps)", "RLlib BC (6 steps)", "RLlib CQL (6 steps)"]
    assert policies["baseline"]["mean"] == pytest.approx(
        held_out_value("baseline", "tiny", episodes=EPISODES).mean, rel=1e-12)
    assert policies["baseline"]["delta_vs_baseline"][0] == 0
    for name, row in policies.items():
        assert np.isfinite(row["mean"]) and row["lower"] <= row["mean"] <= row["upper"], name
        assert all(np.isfinite(row["delta_vs_baseline"])), name
    for algo in ("bc", "cql"):
        row = policies[f"RLlib {algo.upper()} (6 steps)"]
        assert row["updates"] == 6 and row["samples"] > 0 and Path(row["checkpoint"]).is_dir()
        assert all(np.isfinite(v) for point in row["curve"] for k, v in point.items() if "loss" in k)
    for agent in ("td3bc", "bc"):
        assert Path(policies[f"MTFSim {agent} (10 steps)"]["checkpoint"]).is_file()

    # RLlib read the export's own file and columns: the exporter's schema, the exporter's rows, nothing rewritten.
    parquet = Path(results["parquet"])
    table = pq.read_table(parquet)
    with open_log(results["log"]) as log:
        run = log.run()
        assert table.schema.remove_metadata().equals(mtfsim.export.parquet_schema(run))
    fresh = tmp_path / "fresh.parquet"
    assert mtfsim.export.to_parquet(results["log"], fresh) == results["transitions"] == table.num_rows
    assert table.equals(pq.read_table(fresh))
    assert set(results["read_columns"]) <= set(table.column_names)
    assert results["read_schema"] == {"eps_id": "eps_id", "obs": "obs", "actions": "actions", "rewards": "rewards",
                                      "new_obs": "new_obs", "terminateds": "terminateds", "truncateds": "truncateds",
                                      "t": "t"}
    meta = json.loads(table.schema.metadata[b"mtfsim"])
    assert results["scaling"]["low"] == pytest.approx(meta["action_low"])
    assert results["scaling"]["high"] == pytest.approx(meta["action_high"])

"""python/examples/rllib_train.py as a smoke test: a few PPO iterations on the tiny world with one env runner, the
checkpoint saved, and the policy evaluated beside MTFSim's rows on the same held-out episodes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.ray

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_fusion_scaling_maps_the_unit_box_onto_the_weights() -> None:
    pytest.importorskip("ray.rllib")
    example = load("rllib_train")
    mean, std = example.observation_statistics("tiny", 1, users=4, steps=20)
    assert mean.shape == std.shape and np.all(std >= 1e-3)
    env = example.make_env({"environment": "tiny", "seed": 1, "obs_mean": mean.tolist(), "obs_std": std.tolist(),
                            "reward_scale": 0.5, "num_envs": 3})
    low, high = env.env.single_action_space.low, env.env.single_action_space.high
    assert np.allclose(env.weights(-np.ones((1, low.size))), low) and np.allclose(env.weights(np.ones((1, low.size))), high)
    assert np.allclose(env.weights(np.full((1, low.size), 7.0)), high), "outside the unit box: clipped"
    observations, _ = env.reset(seed=3)
    assert observations.shape == (3, mean.size) and np.all(np.abs(observations) <= 10)
    raw = example.VectorEnv(3, "tiny", seed=1, users="training")
    raw_observations, _ = raw.reset(seed=3)
    assert np.allclose(observations, np.clip((raw_observations - mean) / std, -10, 10), atol=1e-6)
    action = np.zeros((3, low.size), np.float32)
    _, rewards, *_ = env.step(action)
    _, raw_rewards, *_ = raw.step(env.weights(action))
    assert np.allclose(rewards, 0.5 * raw_rewards)
    env.close()
    raw.close()


def test_ppo_smoke_on_tiny(cli: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray.rllib")
    from mtfsim.evaluation import held_out_value

    out = tmp_path / "rllib"
    # As users run it: a script, whose env creator Ray ships to the runners by value.
    done = subprocess.run([sys.executable, str(EXAMPLES / "rllib_train.py"), "--algo", "ppo", "--env", "tiny",
                           "--env-runners", "1", "--envs-per-runner", "4", "--iterations", "2", "--batch", "256",
                           "--eval-episodes", "6", "--cli", str(cli), "--out", str(out), "--json"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    assert results == json.loads((out / "results.json").read_text())
    assert results["iterations"] == 2 and results["env_steps"] >= 512
    assert Path(results["checkpoint"]).is_dir()
    policies = results["policies"]
    assert list(policies)[:3] == ["baseline", "uniformly random weights", "CEM (mtfsim train --agent cem)"]
    assert policies["baseline"]["mean"] == pytest.approx(held_out_value("baseline", "tiny", episodes=6).mean, rel=1e-12)
    for row in policies.values():
        assert np.isfinite(row["mean"]) and row["lower"] <= row["mean"] <= row["upper"]

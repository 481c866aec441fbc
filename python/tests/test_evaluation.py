"""mtfsim.evaluation: the held-out protocol of `mtfsim train-offline`, reproduced through the C ABI."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mtfsim._native import NativeEnvironment
from mtfsim.evaluation import HELD_OUT_SEED, held_out_value, student_t_quantile, t_interval


@pytest.mark.parametrize(("p", "nu", "expected"), [
    (0.975, 1, 12.706204736174707), (0.975, 2, 4.302652729749464), (0.975, 4, 2.7764451051977934),
    (0.975, 63, 1.9983405417721956), (0.95, 10, 1.8124611228107335), (0.5, 7, 0.0), (0.025, 4, -2.7764451051977934),
])
def test_student_t_quantiles_match_tables(p: float, nu: int, expected: float) -> None:
    assert student_t_quantile(p, nu) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_t_interval_known_answer() -> None:
    mean, lower, upper = t_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    # x̄ = 2.5, s = 1.2909944, t_{0.975,3} = 3.1824463 → half-width 2.0542603.
    assert mean == 2.5
    assert upper - mean == pytest.approx(2.0542603, rel=1e-7)
    assert mean - lower == pytest.approx(upper - mean)


def test_a_policy_function_and_the_native_policy_give_the_same_value() -> None:
    baseline = np.asarray(NativeEnvironment("tiny", count=1).description["action_baseline"], np.float32)
    native = held_out_value("baseline", "tiny", episodes=12)
    function = held_out_value(lambda o: np.tile(baseline, (len(o), 1)), "tiny", episodes=12)
    assert np.array_equal(native.per_episode, function.per_episode)
    assert native.requests == function.requests > 0 and native.sessions > 0
    assert native.lower < native.mean < native.upper
    difference = function.paired_difference(native)
    assert difference[0] == 0
    # Another stream seed meets other situations.
    assert not np.array_equal(held_out_value("baseline", "tiny", episodes=12, stream_seed=7).per_episode,
                              native.per_episode)


def test_train_offline_checkpoints_score_what_train_offline_reported(cli: Path, tmp_path: Path) -> None:
    log = tmp_path / "tiny-mixture.sqlite"
    subprocess.run([str(cli), "simulate", "--env", "tiny", "--seed", "4", "--sessions", "300", "--policy", "mixture",
                    "--log", str(log)], check=True, capture_output=True)
    checkpoint = tmp_path / "td3bc.ckpt"
    done = subprocess.run([str(cli), "train-offline", "--agent", "td3bc", "--log", str(log), "--steps", "200",
                           "--hidden", "16,16", "--eval-interval", "200", "--eval-episodes", "16", "--json",
                           "--out", str(checkpoint)], check=True, capture_output=True, text=True)
    report = json.loads(done.stdout)["heldOut"]["rewardPerUserDay"]
    value = held_out_value(checkpoint, "tiny", seed=4, episodes=16, stream_seed=HELD_OUT_SEED)
    assert value.mean == pytest.approx(report["mean"], rel=1e-12)
    assert value.lower == pytest.approx(report["lower"], rel=1e-9)
    assert value.upper == pytest.approx(report["upper"], rel=1e-9)
    assert math.isfinite(value.mean)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        held_out_value("baseline", "tiny", episodes=1)
    with pytest.raises(ValueError, match="expected actions of shape"):
        held_out_value(lambda o: np.zeros((1, 1), np.float32), "tiny", episodes=4)
    with pytest.raises(ValueError, match="policy nonsense"):
        held_out_value("nonsense", "tiny", episodes=4)

"""mtfsim.Env: Gymnasium's checker, reproduction of `mtfsim simulate` logs, episode semantics and bad input."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import mtfsim


def logged_steps(path: Path) -> dict[int, dict[str, np.ndarray]]:
    """Each episode's steps of a log, decoded independently of mtfsim.log."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = db.execute(
        "SELECT episode, state, action, reward, reward_components, session_end, terminal, truncated, elapsed_minutes "
        "FROM steps ORDER BY episode, session_index, request_index").fetchall()
    episodes: dict[int, dict[str, list]] = {}
    for episode, state, action, reward, components, session_end, terminal, truncated, minutes in rows:
        e = episodes.setdefault(episode, {k: [] for k in ("state", "action", "reward", "components", "session_end",
                                                           "terminal", "truncated", "minutes")})
        e["state"].append(np.frombuffer(state, "<f4"))
        e["action"].append(np.frombuffer(action, "<f4"))
        e["reward"].append(reward)
        e["components"].append(np.frombuffer(components, "<f4"))
        e["session_end"].append(bool(session_end))
        e["terminal"].append(bool(terminal))
        e["truncated"].append(bool(truncated))
        e["minutes"].append(minutes)
    return {k: {name: np.array(values) for name, values in v.items()} for k, v in episodes.items()}


@pytest.fixture(scope="module")
def mixture_log(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "tiny-mixture.sqlite"
    subprocess.run([str(cli), "simulate", "--env", "tiny", "--seed", "3", "--sessions", "120", "--policy", "mixture",
                    "--log", str(path)], check=True, capture_output=True)
    return path


def test_gymnasium_env_checker_passes() -> None:
    env = mtfsim.Env("tiny")
    check_env(env, skip_render_check=True)
    env.close()


def test_registered_ids_make_the_presets() -> None:
    for env_id, preset in mtfsim.PRESETS.items():
        env = gym.make(env_id)
        assert env.unwrapped.description["environment"] == preset
        observation, _ = env.reset(seed=1)
        assert env.observation_space.contains(observation)
        env.close()


def test_logged_actions_reproduce_the_simulate_log_bit_for_bit(mixture_log: Path) -> None:
    episodes = logged_steps(mixture_log)
    complete = [e for e, steps in episodes.items() if steps["terminal"][-1] or steps["truncated"][-1]]
    assert len(complete) >= 5
    env = mtfsim.Env("tiny", seed=3)
    for episode in complete[:8]:
        steps = episodes[episode]
        observation, info = env.reset(options={"episode": episode})
        assert info["episode_id"] == episode
        n = len(steps["reward"])
        for t in range(n):
            assert np.array_equal(observation.view(np.uint32), steps["state"][t].view(np.uint32)), (episode, t)
            observation, reward, terminated, truncated, info = env.step(steps["action"][t])
            assert reward == steps["reward"][t]
            components = np.array(list(info["reward_components"].values()), np.float32)
            assert np.array_equal(components.view(np.uint32), steps["components"][t].view(np.uint32))
            assert info["session_end"] == steps["session_end"][t]
            assert info["elapsed_minutes"] == steps["minutes"][t]
            assert terminated == steps["terminal"][t] and truncated == steps["truncated"][t]
            assert (terminated or truncated) == (t == n - 1)
        # The final observation is a copy of the last state.
        assert np.array_equal(observation, steps["state"][-1])
    env.close()


def test_mtfsim_policies_act_as_in_simulate(mixture_log: Path) -> None:
    # The mixture's exploration draws from each episode's keyed policy stream: env.act reproduces the logged actions.
    episodes = logged_steps(mixture_log)
    complete = [e for e, steps in episodes.items() if steps["terminal"][-1] or steps["truncated"][-1]]
    env = mtfsim.Env("tiny", seed=3)
    for episode in complete[:4]:
        steps = episodes[episode]
        env.reset(options={"episode": episode})
        for t in range(len(steps["reward"])):
            action = env.act("mixture")
            assert np.array_equal(action.view(np.uint32), steps["action"][t].view(np.uint32)), (episode, t)
            _, reward, terminated, truncated, _ = env.step(action)
            assert reward == steps["reward"][t]
        assert terminated or truncated
        with pytest.raises(mtfsim.ResetNeeded):
            env.act("mixture")
    env.reset()
    assert np.array_equal(env.act("baseline"), env.baseline)
    with pytest.raises(ValueError, match="policy no-such-policy"):
        env.act("no-such-policy")
    with pytest.raises(ValueError, match="missing.ckpt"):
        env.act("/nowhere/missing.ckpt")
    env.close()


def test_same_seed_same_episode_and_reset_seed_restarts_numbering() -> None:
    def run(env: mtfsim.Env, seed: int | None) -> tuple[list[float], int]:
        observation, info = env.reset(seed=seed)
        rewards = []
        for _ in range(50):
            observation, reward, terminated, truncated, _ = env.step(env.baseline)
            rewards.append(reward)
            if terminated or truncated:
                break
        return rewards, info["episode_id"]

    a, b = mtfsim.Env("tiny", seed=2), mtfsim.Env("tiny", seed=2)
    assert run(a, 7) == run(b, 7)
    assert run(a, None)[1] == 1, "without a seed the next episode follows"
    assert run(a, 7) == run(b, 7), "a seed restarts the numbering"
    assert run(a, 8) != run(b, 7), "another seed, other streams"


def test_an_episode_is_a_users_run_of_sessions_and_session_scope_is_one_session() -> None:
    env = mtfsim.Env("tiny", seed=5)
    env.reset(seed=5)
    sessions, done = set(), False
    while not done:
        _, _, terminated, truncated, info = env.step(env.baseline)
        sessions.add(info["session_index"])
        done = terminated or truncated
    assert len(sessions) > 1, "the tiny world's users come back within the horizon"

    per_session = mtfsim.Env("tiny", seed=5, episode_scope="session")
    per_session.reset(seed=5)
    for expected_session in range(3):
        done = False
        while not done:
            _, _, terminated, truncated, info = per_session.step(per_session.baseline)
            assert info["session_index"] == expected_session and info["episode_id"] == 0
            done = terminated or truncated
        assert info["session_end"]
        _, info = per_session.reset()
        assert info["episode_id"] == 0 and info["session_index"] == expected_session + 1, "the same user's next session"


def test_held_out_users_are_the_last_fifth() -> None:
    env = mtfsim.Env("tiny", users="held-out")
    low, high = env.description["users_low"], env.description["users_high"]
    assert high == env.description["population"] and low == int(0.8 * high)
    _, info = env.reset(seed=1)
    assert low <= info["user"] < high
    ranged = mtfsim.Env("tiny", users=(3, 5))
    users = {ranged.reset()[1]["user"] for _ in range(4)}
    assert users == {3, 4}


def test_actions_are_clipped_to_the_box() -> None:
    a, b = mtfsim.Env("tiny", seed=1), mtfsim.Env("tiny", seed=1)
    a.reset(seed=1)
    b.reset(seed=1)
    high = a.action_space.high
    for _ in range(10):
        assert a.step(high + 100)[1] == b.step(high)[1]


def test_bad_input_raises_clear_python_exceptions() -> None:
    with pytest.raises(ValueError, match="not a preset"):
        mtfsim.Env("no-such-world")
    with pytest.raises(ValueError, match="users must be"):
        mtfsim.Env("tiny", users="everyone")
    with pytest.raises(ValueError, match="episode_scope"):
        mtfsim.Env("tiny", episode_scope="day")
    with pytest.raises(ValueError):
        mtfsim.Env(None, yaml="tasks: [")
    env = mtfsim.Env("tiny")
    with pytest.raises(mtfsim.ResetNeeded):
        env.step(env.baseline)
    env.reset(seed=1)
    a = env.action_space.shape[0]
    with pytest.raises(ValueError, match=rf"expected shape \({a},\)"):
        env.step(np.zeros(a + 1, np.float32))
    with pytest.raises(ValueError, match="not a finite number"):
        env.step(np.full(a, np.nan, np.float32))
    with pytest.raises(ValueError, match="unknown"):
        env.reset(options={"episodes": 3})
    # A refused step left the episode where it was.
    _, _, _, _, info = env.step(env.baseline)
    assert info["request_index"] == 0


@pytest.mark.parametrize("setting, message", [
    ("/nonexistent/libMTFSimC.so", "no such file"),
    (__file__, "cannot be loaded"),
])
def test_a_missing_or_wrong_library_is_an_exception_not_a_crash(setting: str, message: str) -> None:
    code = ("import mtfsim\n"
            "try:\n    mtfsim.Env('tiny')\n"
            "except mtfsim.LibraryNotFoundError as e:\n    print('refused:', e)\n")
    environment = dict(os.environ, MTFSIM_LIBRARY=setting)
    out = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "refused:" in out.stdout and message in out.stdout

"""mtfsim.VectorEnv: Gymnasium 1.x vector semantics (spaces, next-step autoreset, infos), determinism, bad input."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector.utils import batch_space

import mtfsim
from mtfsim.vector_env import NEXT_STEP


def random_actions(env: mtfsim.VectorEnv, rng: np.random.Generator) -> np.ndarray:
    low, high = env.single_action_space.low, env.single_action_space.high
    return (low + rng.random((env.num_envs, len(low))) * (high - low)).astype(np.float32)


def test_spaces_metadata_and_shapes() -> None:
    env = mtfsim.VectorEnv(4, "tiny")
    modes = getattr(gym.vector, "AutoresetMode", None)   # Gymnasium ≥ 1.1; 1.0 knows only next-step
    assert env.metadata["autoreset_mode"] == (modes.NEXT_STEP if modes else NEXT_STEP)
    assert env.observation_space == batch_space(env.single_observation_space, 4)
    assert env.action_space == batch_space(env.single_action_space, 4)
    observations, infos = env.reset(seed=1)
    assert observations.shape == (4, len(env.state_names)) and observations.dtype == np.float32
    assert env.observation_space.contains(observations)
    assert list(infos["episode_id"]) == [0, 1, 2, 3] and infos["_episode_id"].all()
    observations, rewards, terminated, truncated, infos = env.step(env.action_space.sample())
    assert env.observation_space.contains(observations)
    assert rewards.shape == (4,) and rewards.dtype == np.float64
    assert terminated.dtype == bool and truncated.dtype == bool
    assert infos["reward_components"].shape == (4, len(env.reward_component_names))
    env.close()


def test_next_step_autoreset() -> None:
    env = mtfsim.VectorEnv(3, "tiny")
    env.reset(seed=3)
    rng = np.random.default_rng(0)
    restarts = 0
    pending = np.zeros(3, bool)
    last = None
    for _ in range(3000):
        actions = random_actions(env, rng)
        observations, rewards, terminated, truncated, infos = env.step(actions)
        done = terminated | truncated
        for i in np.flatnonzero(pending):
            # The step after an ending starts the next episode: reward 0, no flags, a new episode's first request.
            assert rewards[i] == 0 and not done[i]
            assert infos["reward_components"][i].sum() == 0
            restarts += 1
        if last is not None:
            for i in np.flatnonzero(done):
                assert np.array_equal(observations[i], last[i]), "the final observation repeats the last state"
        pending = done
        last = observations
        if restarts >= 6:
            break
    assert restarts >= 6


def test_same_seed_same_results_and_threads_do_not_matter() -> None:
    def run(threads: int) -> list[np.ndarray]:
        env = mtfsim.VectorEnv(6, "tiny", seed=2, threads=threads)
        out = [env.reset(seed=11)[0]]
        rng = np.random.default_rng(5)
        for _ in range(300):
            o, r, te, tr, _ = env.step(random_actions(env, rng))
            out += [o, r, te, tr]
        env.close()
        return out

    one = run(1)
    for threads in (1, 2, 3):
        other = run(threads)
        assert all(np.array_equal(x, y) for x, y in zip(one, other)), f"threads {threads}"


def test_slot_zero_of_a_vector_env_is_the_single_env() -> None:
    single = mtfsim.Env("tiny", seed=4)
    vector = mtfsim.VectorEnv(3, "tiny", seed=4)
    observation, _ = single.reset(seed=4)
    observations, _ = vector.reset(seed=4)
    assert np.array_equal(observation, observations[0])
    for _ in range(40):
        observation, reward, terminated, truncated, _ = single.step(single.baseline)
        observations, rewards, te, tr, _ = vector.step(np.tile(vector.baseline, (3, 1)))
        assert np.array_equal(observation, observations[0]) and reward == rewards[0]
        if terminated or truncated:
            break


def test_works_under_gymnasium_vector_wrappers_and_make_vec() -> None:
    env = gym.make_vec("MTFSim/Tiny-v0", num_envs=2, vectorization_mode="vector_entry_point")
    assert isinstance(env.unwrapped, mtfsim.VectorEnv)
    env = gym.wrappers.vector.RecordEpisodeStatistics(env)
    env.reset(seed=1)
    rng = np.random.default_rng(1)
    episodes = 0
    for _ in range(3000):
        _, _, _, _, infos = env.step(random_actions(env.unwrapped, rng))
        if "episode" in infos:
            episodes += int(infos["_episode"].sum())
        if episodes:
            break
    assert episodes >= 1
    env.close()


def test_bad_input() -> None:
    env = mtfsim.VectorEnv(2, "tiny")
    with pytest.raises(mtfsim.ResetNeeded):
        env.step(np.tile(env.baseline, (2, 1)))
    env.reset(seed=1)
    a = env.single_action_space.shape[0]
    with pytest.raises(ValueError, match=rf"expected shape \(2, {a}\)"):
        env.step(np.zeros((3, a), np.float32))
    bad = np.tile(env.baseline, (2, 1))
    bad[1, a - 1] = np.inf
    with pytest.raises(ValueError, match=f"slot 1, dimension {a - 1}"):
        env.step(bad)
    with pytest.raises(ValueError, match="share one seed"):
        env.reset(seed=[1, 2])
    with pytest.raises(ValueError, match="positive"):
        mtfsim.VectorEnv(0, "tiny")
    with pytest.raises(ValueError, match="threads"):
        mtfsim.VectorEnv(2, "tiny", threads=0)

"""``mtfsim.VectorEnv``: many simulated users stepped in one call of the batched simulator."""

from __future__ import annotations

import os
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector.utils import batch_space

from ._native import NativeEnvironment, ResetNeeded
from .env import describe

__all__ = ["VectorEnv"]

try:
    from gymnasium.vector import AutoresetMode

    NEXT_STEP: Any = AutoresetMode.NEXT_STEP
except ImportError:  # Gymnasium 1.0 (d3rlpy pins it) has only the next-step mode, and no enum for it.
    NEXT_STEP = "NextStep"


class VectorEnv(gym.vector.VectorEnv):
    """``num_envs`` simulated users, each running its own episodes, stepped together natively.

    The arguments are those of :class:`mtfsim.Env`, and ``threads``: groups of users stepped concurrently
    (results do not depend on it). Autoreset is Gymnasium 1.x's default next-step mode: the
    step that ends a user's episode returns its final observation (a copy of its last state) with
    ``terminated`` or ``truncated`` set, and that user's next ``step`` starts its next episode (the action is
    ignored, the reward is 0). Episodes are numbered in the order users start them, so the same seed gives the same
    users and streams whatever else runs. ``infos`` hold arrays over users: ``reward_components``
    (``num_envs × components``, names in ``reward_component_names``), ``elapsed_minutes``, ``session_end``,
    ``episode_id``, ``user``, ``session_index`` and ``request_index`` (of the request answered), each with its
    ``_name`` mask.
    """

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": NEXT_STEP}

    def __init__(
        self,
        num_envs: int,
        environment: str | None = "short-video",
        *,
        yaml: str | None = None,
        seed: int = 1,
        users: str | tuple[int, int] = "all",
        ranker: str | os.PathLike[str] | None = None,
        episode_scope: str = "user",
        first_episode: int = 0,
        threads: int = 1,
    ) -> None:
        self._native = NativeEnvironment(environment, yaml=yaml, ranker=ranker, seed=seed, count=num_envs, users=users,
                                         first_episode=first_episode, episode_scope=episode_scope, threads=threads)
        self.num_envs = num_envs
        describe(self, self._native)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._mask = np.ones(num_envs, bool)
        self._started = False

    def reset(self, *, seed: int | list[int] | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Starts an episode for every user. ``seed`` is one integer (a list must repeat one value: the users share
        the world and differ by episode number); ``options={"episodes": [...]}`` names the episodes to start."""
        if isinstance(seed, (list, tuple)):
            if len(set(seed)) != 1:
                raise ValueError("reset(seed=[...]): the users of one MTFSim vector environment share one seed")
            seed = seed[0]
        super().reset(seed=seed)
        unknown = set(options or {}) - {"episodes"}
        if unknown:
            raise ValueError(f"reset options: unknown {sorted(unknown)}; the only option is 'episodes'")
        episodes = None if options is None else options.get("episodes")
        self._native.reset(seed=seed, episodes=episodes)
        self._started = True
        return self._native.observations.copy(), self._position_info()

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        native = self._native
        a = np.asarray(actions, dtype=np.float32)
        if a.shape != (self.num_envs, native.action_dimension):
            raise ValueError(f"actions: expected shape ({self.num_envs}, {native.action_dimension}) (one row of fusion "
                             f"weights per user: {', '.join(self.action_names)}), got {np.shape(actions)}")
        infos = self._position_info()
        native.step(a)
        infos["reward_components"] = native.components.copy()
        infos["elapsed_minutes"] = native.elapsed_minutes.copy()
        infos["session_end"] = native.session_end.astype(bool)
        for key in ("reward_components", "elapsed_minutes", "session_end"):
            infos["_" + key] = self._mask
        return (native.observations.copy(), native.rewards.copy(), native.terminated.astype(bool),
                native.truncated.astype(bool), infos)

    def act(self, policy: str | os.PathLike[str]) -> np.ndarray:
        """The fusion weights one of MTFSim's own policies chooses for every user's current request
        (``num_envs × actions``): ``"baseline"``, ``"fixed:…"``, ``"mixture:…"`` or a checkpoint of ``mtfsim train`` /
        ``train-offline``, as ``mtfsim simulate --policy`` takes it. Exploration draws from the same keyed streams as
        ``simulate --policy``, so ``step(env.act(p))`` reproduces that run; call it once per step. Users whose episode
        ended at the last step get the baseline (their next step ignores it)."""
        if not self._started:
            raise ResetNeeded("call reset() before act()")
        return self._native.act(policy)

    def _position_info(self) -> dict[str, Any]:
        native = self._native
        infos: dict[str, Any] = {"episode_id": native.episodes.copy(), "user": native.users.copy(),
                                 "session_index": native.session_indices.copy(),
                                 "request_index": native.request_indices.copy()}
        for key in list(infos):
            infos["_" + key] = self._mask
        return infos

    def close_extras(self, **kwargs: Any) -> None:
        self._native.close()

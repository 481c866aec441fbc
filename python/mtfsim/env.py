"""``mtfsim.Env``: one simulated user at a time as a Gymnasium environment.

The observation is the state a fusion policy sees at a request (the user's observed attributes, the session so
far, the past sessions, and summaries of the candidates' predictions); the action is the vector of raw fusion
weights, one per task, within the environment's bounds; the reward is the request's reward (watch minutes plus a
value per realised task, plus the return bonus at a session's last request). An episode is one user's run of
sessions until churn (``terminated``) or the horizon (``truncated``), or one session with
``episode_scope="session"``.
"""

from __future__ import annotations

import os
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ._native import NativeEnvironment, ResetNeeded

__all__ = ["Env"]


def observation_space(state_dimension: int) -> spaces.Box:
    """The state vector: unbounded float32 features (counts, minutes, rates, prediction summaries)."""
    return spaces.Box(-np.inf, np.inf, (state_dimension,), np.float32)


def action_space(description: dict[str, Any]) -> spaces.Box:
    """Raw fusion weights within the environment's bounds."""
    return spaces.Box(np.asarray(description["action_low"], np.float32), np.asarray(description["action_high"], np.float32),
                      dtype=np.float32)


def describe(target: Any, native: NativeEnvironment) -> None:
    """Sets the names, the single-user spaces and the baseline weights of `native` on an environment."""
    d = native.description
    target.description = d
    target.state_names = d["state_names"]
    target.action_names = d["action_names"]
    target.reward_component_names = d["reward_component_names"]
    target.baseline = np.asarray(d["action_baseline"], np.float32)
    target.single_observation_space = observation_space(native.state_dimension)
    target.single_action_space = action_space(d)


class Env(gym.Env[np.ndarray, np.ndarray]):
    """A simulated feed user reacting to the ranking fused with the agent's weights.

    Parameters
    ----------
    environment:
        A preset (``"short-video"``, ``"tiny"``, ``"ecommerce"``) or an environment YAML file; or ``None`` with
        ``yaml`` set to the environment's text.
    seed:
        Seed of the world (catalog and users) and of the random streams, as ``mtfsim simulate --seed``.
        ``reset(seed=s)`` reseeds the streams (the world stays) and restarts episode numbering.
    users:
        ``"all"``, ``"training"`` (the first 80% of user ids), ``"held-out"`` (the last 20%) or ``(low, high)``.
    ranker:
        ``None`` for the oracle-noise simulation ranker, or a ranker checkpoint from ``mtfsim train-ranker``.
    episode_scope:
        ``"user"`` (a user's run of sessions over the horizon) or ``"session"`` (one session; the next episode is
        the same user's next session when the user came back).
    first_episode:
        The first episode number: episode ``e`` meets user ``low + e mod (high - low)`` with the streams of
        ``(seed, e)``, as episode ``e`` of a ``simulate`` log.

    ``reset(options={"episode": e})`` starts episode ``e`` (to step a logged episode again). ``info`` of a step
    carries ``reward_components`` (name → value), ``elapsed_minutes``, ``session_end``, and the ``episode_id``,
    ``user``, ``session_index`` and ``request_index`` of the request answered. When an episode ends, the
    observation returned is a copy of its last state (no request follows). Actions outside the bounds are clipped
    to them; NaN actions or a wrong shape raise ``ValueError``.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        environment: str | None = "short-video",
        *,
        yaml: str | None = None,
        seed: int = 1,
        users: str | tuple[int, int] = "all",
        ranker: str | os.PathLike[str] | None = None,
        episode_scope: str = "user",
        first_episode: int = 0,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None:
            raise ValueError(f"render_mode {render_mode!r}: MTFSim environments do not render")
        self._native = NativeEnvironment(environment, yaml=yaml, ranker=ranker, seed=seed, count=1, users=users,
                                         first_episode=first_episode, episode_scope=episode_scope)
        describe(self, self._native)
        self.observation_space = self.single_observation_space
        self.action_space = self.single_action_space
        self._episode_over = True
        self._started = False
        self._action_shape = (self._native.action_dimension,)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        native = self._native
        episode = None if options is None else options.get("episode")
        unknown = set(options or {}) - {"episode"}
        if unknown:
            raise ValueError(f"reset options: unknown {sorted(unknown)}; the only option is 'episode'")
        if seed is None and episode is None and self._started and self._episode_over:
            # The slot's own next episode (for sessions: the same user's next session when the user came back).
            native.step(np.zeros((1, native.action_dimension), np.float32))
        else:
            native.reset(seed=seed, episodes=None if episode is None else [int(episode)])
        self._started = True
        self._episode_over = False
        return native.observations[0].copy(), self._position_info()

    def step(self, action: np.ndarray) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        if self._episode_over:
            raise ResetNeeded("the episode is over (or never started): call reset() before step()")
        native = self._native
        a = np.asarray(action, dtype=np.float32)
        if a.shape != self._action_shape:
            raise ValueError(f"action: expected shape {self._action_shape} (one fusion weight per task: "
                             f"{', '.join(self.action_names)}), got {np.shape(action)}")
        info = self._position_info()
        native.step(a)
        terminated, truncated = bool(native.terminated[0]), bool(native.truncated[0])
        self._episode_over = terminated or truncated
        info["reward_components"] = dict(zip(self.reward_component_names, native.components[0].tolist()))
        info["elapsed_minutes"] = float(native.elapsed_minutes[0])
        info["session_end"] = bool(native.session_end[0])
        return native.observations[0].copy(), float(native.rewards[0]), terminated, truncated, info

    def act(self, policy: str | os.PathLike[str]) -> np.ndarray:
        """The fusion weights one of MTFSim's own policies chooses for the current request: ``"baseline"``,
        ``"fixed:…"``, ``"mixture:…"`` or a checkpoint of ``mtfsim train`` / ``train-offline``, as ``mtfsim simulate
        --policy`` takes it. Exploration draws from the same keyed streams as ``simulate --policy``, so stepping with
        ``env.act(p)`` reproduces that run's episodes; call it once per step."""
        if self._episode_over:
            raise ResetNeeded("the episode is over (or never started): call reset() before act()")
        return self._native.act(policy)[0]

    def _position_info(self) -> dict[str, Any]:
        native = self._native
        return {"episode_id": int(native.episodes[0]), "user": int(native.users[0]),
                "session_index": int(native.session_indices[0]), "request_index": int(native.request_indices[0])}

    def close(self) -> None:
        self._native.close()
        super().close()

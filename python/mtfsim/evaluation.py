"""A policy's long-term value on held-out users, by the protocol of ``mtfsim train`` and ``train-offline``.

Their learning-curve evaluation (``HeldOutEvaluation`` in the Swift library) runs episodes ``0 ..< n`` of the
held-out users (the last 20% of user ids) of a world, with the keyed random streams of a fixed seed
(:data:`HELD_OUT_SEED`) whatever the training seed, and reports the mean reward per user-day (an episode's total
reward over the horizon in days) with a 95% Student-t interval over episodes. :func:`held_out_value` runs the same
episodes through the C ABI, so a policy trained outside MTFSim (d3rlpy, RLlib, …) and MTFSim's own policies meet the
same users in the same situations (common random numbers) and their values can be read side by side, or paired.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable, Union

import numpy as np

from ._native import NativeEnvironment

__all__ = ["HELD_OUT_SEED", "HeldOutValue", "held_out_value", "t_interval", "student_t_quantile"]

#: The streams' seed of the held-out evaluations of ``mtfsim train`` / ``train-offline`` ("HELDOUT" in ASCII).
HELD_OUT_SEED = 0x48454C444F5554

#: A policy: one of MTFSim's own (a ``--policy`` spec or a checkpoint path, acted natively), or a function from
#: observations (``n × state``, float32) to raw fusion weights (``n × actions``).
Policy = Union[str, "os.PathLike[str]", Callable[[np.ndarray], np.ndarray]]


@dataclass(frozen=True)
class HeldOutValue:
    """Mean reward per user-day with its 95% t-interval, and the value of every episode (in episode order)."""

    mean: float
    lower: float
    upper: float
    per_episode: np.ndarray
    requests: int
    sessions: int

    def paired_difference(self, reference: "HeldOutValue") -> tuple[float, float, float]:
        """``self − reference`` episode by episode (the same episodes: common random numbers), mean and 95% interval."""
        if self.per_episode.shape != reference.per_episode.shape:
            raise ValueError("paired_difference: the two values were measured on different numbers of episodes")
        return t_interval(self.per_episode - reference.per_episode)


def held_out_value(
    policy: Policy,
    environment: str | None = "short-video",
    *,
    yaml: str | None = None,
    seed: int = 1,
    episodes: int = 64,
    stream_seed: int = HELD_OUT_SEED,
    users: str | tuple[int, int] = "held-out",
    ranker: str | os.PathLike[str] | None = None,
    threads: int = 1,
) -> HeldOutValue:
    """The value of ``policy`` on episodes ``0 ..< episodes`` of ``users`` of world ``seed``.

    With the defaults this is exactly the evaluation ``mtfsim train-offline --eval-episodes 64`` reports for the
    environment's world ``seed`` (the world of the log's first run). All episodes run side by side, one batch per
    step; ``threads`` groups of them run concurrently (the value does not depend on it).
    """
    if episodes < 2:
        raise ValueError(f"episodes: at least 2 are needed for an interval, got {episodes}")
    native = NativeEnvironment(environment, yaml=yaml, ranker=ranker, seed=seed, count=episodes, users=users,
                               threads=threads)
    try:
        native.reset(seed=stream_seed)
        if not np.array_equal(native.episodes, np.arange(episodes)):
            raise AssertionError("held_out_value: slots did not start episodes 0 ..< n")
        spec = None if callable(policy) else os.fspath(policy)
        totals = np.zeros(episodes)
        active = np.ones(episodes, bool)
        requests = sessions = 0
        while active.any():
            if spec is not None:
                actions = native.act(spec)
            else:
                actions = np.asarray(policy(native.observations.copy()), np.float32)  # type: ignore[operator]
                if actions.shape != (episodes, native.action_dimension):
                    raise ValueError(f"policy: expected actions of shape ({episodes}, {native.action_dimension}), "
                                     f"got {actions.shape}")
            native.step(actions)
            totals += np.where(active, native.rewards, 0.0)
            requests += int(active.sum())
            sessions += int((active & (native.session_end != 0)).sum())
            active &= (native.terminated == 0) & (native.truncated == 0)
        per_episode = totals / float(native.description["horizon_days"])
    finally:
        native.close()
    mean, lower, upper = t_interval(per_episode)
    return HeldOutValue(mean, lower, upper, per_episode, requests, sessions)


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval ``x̄ ± t_{(1+level)/2, n−1} · s/√n`` (as ``tInterval`` in the Swift library)."""
    x = np.asarray(values, np.float64)
    n = x.size
    mean = float(x.mean()) if n else math.nan
    if n < 2:
        return mean, -math.inf if n else math.nan, math.inf if n else math.nan
    half = student_t_quantile((1 + level) / 2, n - 1) * float(x.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def student_t_quantile(p: float, degrees_of_freedom: float) -> float:
    """The ``t`` with ``P(T ≤ t) = p`` for Student's t with ``ν`` degrees of freedom, by bisection on the CDF
    ``1 − I_{ν/(ν+t²)}(ν/2, 1/2)/2`` (regularised incomplete beta; Press et al., Numerical Recipes, §6.4)."""
    if not 0 < p < 1:
        raise ValueError(f"p must lie in (0, 1), got {p}")
    if p < 0.5:
        return -student_t_quantile(1 - p, degrees_of_freedom)
    nu = float(degrees_of_freedom)

    def cdf(t: float) -> float:
        return 1 - 0.5 * _incomplete_beta(nu / 2, 0.5, nu / (nu + t * t))

    low, high = 0.0, 1.0
    while cdf(high) < p:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if cdf(middle) < p:
            low = middle
        else:
            high = middle
        if high - low <= 1e-15 * high:
            break
    return (low + high) / 2


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """``I_x(a, b)`` by its continued fraction (modified Lentz), on the side where it converges fast."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1) / (a + b + 2):
        return 1 - _incomplete_beta(b, a, 1 - x)
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 500):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            f *= c * d
        if abs(c * d - 1) < 1e-16:
            break
    return front * f / a

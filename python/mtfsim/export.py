"""Export an MTFSim episode log to the formats offline-RL tools read: Minari, d3rlpy and Parquet (RLlib's columns).

Each export keeps the log's episode boundaries, terminal (churn) and truncation (horizon) flags, and elapsed time,
with the conventions of `mtfsim.log.Steps`:

- one exported episode per log episode (one user's sessions over the horizon), steps in (session, request) order;
- the next observation of an episode's final step is a copy of its own state (no request follows; the flags say
  why: `terminated` after a churn, `truncated` at the horizon);
- an episode the log stops before its end (a run stopped at its session count, or interrupted: `Steps.cut`) is
  exported with its last step marked truncated (`incomplete="truncate"`, the default), or left out
  (`incomplete="drop"`).

Every optional dependency (minari, gymnasium, d3rlpy, pyarrow) is imported only by the export that needs it.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace, fields
from typing import TYPE_CHECKING, Any, Iterator, Literal

import numpy as np
import numpy.typing as npt

from .log import EpisodeLog, LogError, Run, Steps, open_log

if TYPE_CHECKING:
    import d3rlpy
    import minari

__all__ = ["Prepared", "prepare", "default_dataset_id", "to_minari", "to_d3rlpy", "save_d3rlpy", "to_parquet"]

Incomplete = Literal["truncate", "drop"]

#: Rows per Parquet row group.
PARQUET_ROW_GROUP = 65_536


@dataclass(frozen=True)
class Prepared:
    """The steps an export writes, with the flags it writes.

    `terminated` is the log's churn flag; `truncated` is the log's horizon flag, or'ed with `cut` when
    incomplete episodes are kept (`incomplete="truncate"`). Every episode ends in exactly one of the two."""

    steps: Steps
    terminated: npt.NDArray[np.bool_]
    truncated: npt.NDArray[np.bool_]
    dropped_episodes: int


def _select(steps: Steps, keep: npt.NDArray[np.bool_]) -> Steps:
    values: dict[str, Any] = {}
    for f in fields(steps):
        v = getattr(steps, f.name)
        if isinstance(v, np.ndarray):
            v = v[keep]
            v.setflags(write=False)
        values[f.name] = v
    return replace(steps, **values)


def prepare(log: EpisodeLog, run: int | None = None, incomplete: Incomplete = "truncate") -> Prepared:
    """Reads the run's steps and decides the exported flags (see the module doc)."""
    if incomplete not in ("truncate", "drop"):
        raise ValueError(f"incomplete must be 'truncate' or 'drop', not {incomplete!r}")
    steps = log.steps(run)
    steps.check_contiguous()
    if len(steps) == 0:
        raise LogError(f"{log.path}: run {steps.run.id} has no steps to export")
    dropped = 0
    if incomplete == "drop":
        cut_episodes = steps.episode[steps.cut]
        dropped = int(cut_episodes.size)
        if dropped:
            steps = _select(steps, ~np.isin(steps.episode, cut_episodes))
            if len(steps) == 0:
                raise LogError(f"{log.path}: run {steps.run.id}: every episode is incomplete; nothing to export "
                               "with incomplete='drop'")
    terminated = steps.terminated.copy()
    truncated = steps.truncated | steps.cut
    last = steps.episode_last
    # Every exported episode ends in exactly one of terminated / truncated, and only there.
    if not np.array_equal(terminated | truncated, last) or (terminated & truncated).any():
        bad = int(np.flatnonzero((terminated | truncated) != last)[0]) if not np.array_equal(
            terminated | truncated, last) else int(np.flatnonzero(terminated & truncated)[0])
        raise LogError(f"{log.path}: run {steps.run.id}: episode {int(steps.episode[bad])} has a terminal or "
                       f"truncated flag at session {int(steps.session_index[bad])}, request "
                       f"{int(steps.request_index[bad])}, which is not its last step")
    terminated.setflags(write=False)
    truncated.setflags(write=False)
    return Prepared(steps, terminated, truncated, dropped)


def _open(log: EpisodeLog | str | os.PathLike[str]) -> tuple[EpisodeLog, bool]:
    if isinstance(log, EpisodeLog):
        return log, False
    return open_log(log), True


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").lower()
    return slug or "policy"


def default_dataset_id(run: Run) -> str:
    """`mtfsim/<environment>/<policy>-v0`, e.g. `mtfsim/short-video/mixture_0_1_0_15-v0`: the policy spec with
    every run of characters other than letters, digits and `_` turned into one `_` (Minari ids are
    `namespace/name-vN`)."""
    env = re.sub(r"[^A-Za-z0-9_-]+", "-", run.environment_name).strip("-").lower() or "env"
    policy = _slug(run.policy_spec.split("@")[0].split("/")[-1])
    return f"mtfsim/{env}/{policy}-v0"


@contextmanager
def _minari_root(root: str | os.PathLike[str] | None) -> Iterator[None]:
    """Points Minari at `root` (its `MINARI_DATASETS_PATH`) for the duration."""
    if root is None:
        yield
        return
    previous = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = os.path.abspath(os.fspath(root))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["MINARI_DATASETS_PATH"]
        else:
            os.environ["MINARI_DATASETS_PATH"] = previous


def _info_columns(p: Prepared) -> dict[str, np.ndarray]:
    """Per-step info values, one row per step."""
    s = p.steps
    return {
        "session_index": np.asarray(s.session_index, np.int32),
        "request_index": np.asarray(s.request_index, np.int32),
        "session_end": np.asarray(s.session_end, np.bool_),
        "cut": np.asarray(s.cut, np.bool_),
        "elapsed_minutes": np.asarray(s.elapsed_minutes, np.float64),
        "transition_minutes": s.transition_minutes,
        "time_minutes": s.time_minutes,
        "log_density": np.asarray(s.log_density, np.float64),
        "reward_components": np.asarray(s.reward_components, np.float32),
    }


def to_minari(log: EpisodeLog | str | os.PathLike[str], out: str | os.PathLike[str] | None = None,
              dataset_id: str | None = None, run: int | None = None,
              incomplete: Incomplete = "truncate") -> "minari.MinariDataset":
    """Writes the run as a Minari dataset and returns it (open it again with `minari.load_dataset(dataset_id)`
    with `MINARI_DATASETS_PATH` set to `out`).

    `out` is Minari's datasets root (the dataset goes to `out/<dataset_id>/`); None: Minari's own root
    (`$MINARI_DATASETS_PATH`, else `~/.minari/datasets`). `dataset_id` defaults to `default_dataset_id(run)`.
    Stored in Minari's `arrow` format (no h5py needed). One Minari episode per log episode, with T steps:

    - `observations` T+1 × S float32 (the last one a copy of the final state), `actions` T × A float32 (raw fusion
      weights), `rewards` float64, `terminations` (churn), `truncations` (horizon, or the log's end);
    - `infos`, as Minari stores a Gymnasium run: entry 0 is the reset info, entry t+1 the info of step t (so
      `ep.infos[k][1:]` lines up with `ep.rewards`). Keys: `session_index`, `request_index`, `session_end`, `cut`,
      `elapsed_minutes`, `transition_minutes`, `time_minutes`, `log_density`, `reward_components` (T+1 × C). The
      reset entry holds the first request's session/request index and clock, NaN minutes and log density, zero
      reward components and False flags.
    - Spaces: `Box(-inf, inf, (S,), float32)` and `Box(action_low, action_high, float32)`.
    """
    import gymnasium as gym
    import minari
    from minari.data_collector import EpisodeBuffer

    episode_log, owned = _open(log)
    try:
        p = prepare(episode_log, run, incomplete)
        r = p.steps.run
        dataset_id = dataset_id or default_dataset_id(r)
        try:
            minari.dataset.minari_dataset.parse_dataset_id(dataset_id)
        except ValueError as e:
            raise LogError(f"bad Minari dataset id {dataset_id!r}: ids are namespace/name-vN ({e})") from None
        s = p.steps
        obs_space = gym.spaces.Box(-np.inf, np.inf, (len(r.state_names),), np.float32)
        act_space = gym.spaces.Box(r.action_low, r.action_high, dtype=np.float32)
        info = _info_columns(p)
        starts, stops = s.episode_bounds()
        buffers = []
        for k, (a, b) in enumerate(zip(starts.tolist(), stops.tolist())):
            obs = np.concatenate([s.observations[a:b], s.observations[b - 1:b]], axis=0)
            infos: dict[str, Any] = {}
            for key, values in info.items():
                head = values[a:a + 1].copy()
                if key in ("elapsed_minutes", "transition_minutes", "log_density"):
                    head[:] = np.nan
                elif key in ("session_end", "cut"):
                    head[:] = False
                elif key == "reward_components":
                    head[:] = 0
                column = np.concatenate([head, values[a:b]], axis=0)
                # Minari's arrow storage cannot read back 1-D numpy infos (it stores an empty shape); as a list,
                # a column round-trips exactly (int32 comes back as int64).
                infos[key] = column if column.ndim > 1 else column.tolist()  # type: ignore[assignment]
            buffers.append(EpisodeBuffer(
                id=k, observations=obs, actions=np.array(s.actions[a:b]), rewards=np.array(s.rewards[a:b]),
                terminations=np.array(p.terminated[a:b]), truncations=np.array(p.truncated[a:b]), infos=infos))
        description = (f"MTFSim episode log {os.path.basename(episode_log.path)}, run {r.id} ({r.name}): environment "
                       f"{r.environment_name}, seed {r.seed}, policy {r.policy_spec}, ranker {r.ranker_name}. "
                       f"One episode per user; observations: {', '.join(r.state_names)}; actions (raw fusion "
                       f"weights): {', '.join(r.action_names)}; reward components in infos: "
                       f"{', '.join(r.reward_component_names)}.")
        with _minari_root(out), warnings.catch_warnings():
            # Minari warns that a dataset made without a live environment has no env spec, eval env, permalink
            # or e-mail: all true here, by design.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"minari\.")
            try:
                return minari.create_dataset_from_buffers(
                    dataset_id=dataset_id, buffer=buffers, observation_space=obs_space, action_space=act_space,
                    algorithm_name=r.policy_spec, author="MTFSim", description=description, data_format="arrow")
            except ValueError as e:
                if "already exists" in str(e) or "exist" in str(e):
                    where = os.path.join(os.fspath(out), dataset_id) if out is not None else dataset_id
                    raise LogError(f"Minari dataset {where} already exists; choose another --dataset-id or "
                                   "remove it") from None
                raise
    finally:
        if owned:
            episode_log.close()


def to_d3rlpy(log: EpisodeLog | str | os.PathLike[str], run: int | None = None,
              incomplete: Incomplete = "truncate") -> "d3rlpy.dataset.MDPDataset":
    """The run as a d3rlpy `MDPDataset`: observations float32 N × S, actions float32 N × A (raw fusion weights),
    rewards float64 (the log's exact values; d3rlpy's learners cast to float32), `terminals` = churn,
    `timeouts` = the horizon (or the log's end). d3rlpy splits episodes at terminals and timeouts; every exported
    episode ends in exactly one (checked), so each d3rlpy episode is one log episode, in order. Elapsed time does
    not fit an MDPDataset: `save_d3rlpy` writes it beside the dataset. Imports d3rlpy (and torch)."""
    return _mdp(_prepared(log, run, incomplete))


def _prepared(log: EpisodeLog | str | os.PathLike[str], run: int | None, incomplete: Incomplete) -> Prepared:
    """`prepare` on a log given as an open `EpisodeLog` or a path (opened and closed here)."""
    episode_log, owned = _open(log)
    try:
        return prepare(episode_log, run, incomplete)
    finally:
        if owned:
            episode_log.close()


def _mdp(p: Prepared) -> Any:
    from d3rlpy.constants import ActionSpace
    from d3rlpy.dataset import MDPDataset as mdp

    s = p.steps
    return mdp(observations=np.array(s.observations), actions=np.array(s.actions),
               rewards=np.array(s.rewards).reshape(-1, 1), terminals=p.terminated.astype(np.float32),
               timeouts=p.truncated.astype(np.float32), action_space=ActionSpace.CONTINUOUS,
               action_size=len(s.run.action_names))


def time_path(out: str | os.PathLike[str]) -> str:
    """Where `save_d3rlpy` puts the time and index arrays: `X.time.npz` beside `X.h5` (or `OUT.time.npz`)."""
    out = os.fspath(out)
    stem = out[:-3] if out.endswith(".h5") else out
    return stem + ".time.npz"


def save_d3rlpy(log: EpisodeLog | str | os.PathLike[str], out: str | os.PathLike[str], run: int | None = None,
                incomplete: Incomplete = "truncate") -> "d3rlpy.dataset.MDPDataset":
    """Writes `to_d3rlpy(log)` to `out` with d3rlpy's own `dump` (HDF5; read it back with
    `d3rlpy.dataset.ReplayBuffer.load(f, d3rlpy.dataset.InfiniteBuffer())`), and beside it `time_path(out)`, an
    `.npz` whose rows line up with the dataset's transitions (episodes in order): `episode`, `session_index`,
    `request_index`, `session_end`, `terminated`, `truncated`, `cut`, `elapsed_minutes`, `transition_minutes`,
    `time_minutes`, `log_density`, `reward_components`, and the dimension names. Returns the dataset."""
    p = _prepared(log, run, incomplete)
    dataset = _mdp(p)
    out = os.fspath(out)
    with open(out, "w+b") as f:
        dataset.dump(f)
    s, r = p.steps, p.steps.run
    arrays: dict[str, Any] = {
        "episode": s.episode, "terminated": p.terminated, "truncated": p.truncated,
        "state_names": np.array(r.state_names), "action_names": np.array(r.action_names),
        "reward_component_names": np.array(r.reward_component_names), "run": np.int64(r.id), **_info_columns(p)}
    np.savez(time_path(out), **arrays)
    return dataset


def _schema_metadata(p: Prepared, log_path: str) -> dict[bytes, bytes]:
    r = p.steps.run
    meta = {
        "log": os.path.abspath(log_path), "run": r.id, "run_name": r.name, "environment": r.environment_name,
        "seed": r.seed, "policy": r.policy_spec, "ranker": r.ranker_name,
        "state_names": list(r.state_names), "action_names": list(r.action_names),
        "reward_component_names": list(r.reward_component_names),
        "action_low": [float(x) for x in r.action_low], "action_high": [float(x) for x in r.action_high],
        "conventions": "one row per step; new_obs of an episode's last step is a copy of obs; terminateds = "
                       "churn; truncateds = horizon or the log's end (cut); transition_minutes = elapsed_minutes "
                       "plus the return gap at a session end the user came back from",
    }
    return {b"mtfsim": json.dumps(meta).encode()}


def parquet_schema(run: Run) -> "Any":
    """The Parquet schema of `to_parquet`: RLlib's offline columns first (`eps_id, obs, actions, rewards, new_obs,
    terminateds, truncateds, t, action_logp`), then MTFSim's."""
    import pyarrow as pa

    S, A, C = len(run.state_names), len(run.action_names), len(run.reward_component_names)
    return pa.schema([
        ("eps_id", pa.string()),
        ("obs", pa.list_(pa.float32(), S)),
        ("actions", pa.list_(pa.float32(), A)),
        ("rewards", pa.float64()),
        ("new_obs", pa.list_(pa.float32(), S)),
        ("terminateds", pa.bool_()),
        ("truncateds", pa.bool_()),
        ("t", pa.int64()),
        ("action_logp", pa.float64()),
        ("episode", pa.int64()),
        ("session_index", pa.int32()),
        ("request_index", pa.int32()),
        ("session_end", pa.bool_()),
        ("cut", pa.bool_()),
        ("elapsed_minutes", pa.float64()),
        ("transition_minutes", pa.float64()),
        ("time_minutes", pa.float64()),
        ("reward_components", pa.list_(pa.float32(), C)),
    ])


def to_parquet(log: EpisodeLog | str | os.PathLike[str], out: str | os.PathLike[str], run: int | None = None,
               incomplete: Incomplete = "truncate", row_group_size: int = PARQUET_ROW_GROUP) -> int:
    """Writes the run to the Parquet file `out`, one row per step, in row groups of `row_group_size`; returns
    the number of rows.

    Columns: RLlib's default offline schema (`ray.rllib.offline.offline_prelearner.SCHEMA`, names from
    `ray.rllib.core.columns.Columns`): `eps_id` (string: the log's episode number; RLlib turns ids into strings),
    `obs`, `actions` and `new_obs` (fixed-size float32 lists), `rewards` (float64), `terminateds` (churn),
    `truncateds` (horizon, or the log's end), `t` (step index within the episode), `action_logp` (the behaviour
    policy's log density of the action); then `episode`, `session_index`, `request_index`, `session_end`, `cut`,
    `elapsed_minutes`, `transition_minutes`, `time_minutes` and `reward_components`. The run's dimension names
    and bounds are in the file's key-value metadata under `mtfsim` (JSON)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    episode_log, owned = _open(log)
    try:
        p = prepare(episode_log, run, incomplete)
        path = episode_log.path
    finally:
        if owned:
            episode_log.close()
    s = p.steps
    schema = parquet_schema(s.run).with_metadata(_schema_metadata(p, path))
    n = len(s)
    starts, stops = s.episode_bounds()
    t = np.arange(n, dtype=np.int64) - np.repeat(starts, stops - starts)
    next_index = s.next_index()
    info = _info_columns(p)

    def fixed(matrix: np.ndarray, field: str) -> pa.Array:
        width = schema.field(field).type.list_size
        return pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(matrix).reshape(-1), pa.float32()),
                                                 width)

    out = os.fspath(out)
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for a in range(0, n, row_group_size):
            b = min(n, a + row_group_size)
            columns = [
                pa.array(s.episode[a:b].astype(str), pa.string()),
                fixed(s.observations[a:b], "obs"),
                fixed(s.actions[a:b], "actions"),
                pa.array(s.rewards[a:b], pa.float64()),
                fixed(s.observations[next_index[a:b]], "new_obs"),
                pa.array(p.terminated[a:b], pa.bool_()),
                pa.array(p.truncated[a:b], pa.bool_()),
                pa.array(t[a:b], pa.int64()),
                pa.array(info["log_density"][a:b], pa.float64()),
                pa.array(s.episode[a:b], pa.int64()),
                pa.array(info["session_index"][a:b], pa.int32()),
                pa.array(info["request_index"][a:b], pa.int32()),
                pa.array(info["session_end"][a:b], pa.bool_()),
                pa.array(info["cut"][a:b], pa.bool_()),
                pa.array(info["elapsed_minutes"][a:b], pa.float64()),
                pa.array(info["transition_minutes"][a:b], pa.float64()),
                pa.array(info["time_minutes"][a:b], pa.float64()),
                fixed(info["reward_components"][a:b], "reward_components"),
            ]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema), row_group_size=row_group_size)
    return n

"""Read MTFSim episode logs (SQLite, ``docs/episode-log.md``) into numpy arrays.

Only numpy is needed; ``to_pandas()`` imports pandas when it is called.

>>> from mtfsim.log import open_log
>>> with open_log("logs/tiny.sqlite") as log:          # doctest: +SKIP
...     steps = log.steps()                            # the only run; log.steps(run=2) to pick one
...     s, a, r = steps.observations, steps.actions, steps.rewards
...     s2 = steps.next_observations()                  # final step of an episode: a copy of its own state

Every vector column of the log is a packed little-endian Float32 BLOB; it is decoded in bulk
(``np.frombuffer(b"".join(blobs), "<f4")``), so the values are exactly the logged ones.
"""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.parse
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # pandas is optional
    import pandas as pd

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "LogError",
    "Run",
    "Steps",
    "Sessions",
    "Impressions",
    "EpisodeLog",
    "open_log",
]

#: ``PRAGMA application_id`` of every MTFSim log ("MTFS").
APPLICATION_ID = 0x4D544653
#: The newest ``PRAGMA user_version`` this reader understands.
SCHEMA_VERSION = 3

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
B = npt.NDArray[np.bool_]

#: Rows fetched from SQLite per chunk while reading a table.
_CHUNK = 65_536


class LogError(ValueError):
    """The file is not an MTFSim episode log, is damaged, is newer than this reader, or the request is ambiguous."""


@dataclass(frozen=True)
class Run:
    """One run of a log (a row of ``runs``)."""

    id: int
    name: str
    status: str
    environment_name: str
    #: The master seed as the unsigned 64-bit value the simulator used (the log stores its bit pattern).
    seed: int
    policy_spec: str
    ranker_name: str
    state_names: tuple[str, ...]
    action_names: tuple[str, ...]
    reward_component_names: tuple[str, ...]
    task_names: tuple[str, ...]
    #: Action box, float32 × actions (raw fusion weights).
    action_low: F32
    action_high: F32
    requested_sessions: int
    slate_size: int


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _floats(blobs: Sequence[bytes], rows: int, width: int, what: str, path: str) -> F32:
    """Decodes `rows` packed little-endian Float32 BLOBs of `width` values each into a rows × width array."""
    if rows == 0:
        return np.zeros((0, width), np.float32)
    lengths = np.fromiter(map(len, blobs), np.int64, count=rows)
    bad = np.flatnonzero(lengths != 4 * width)
    if bad.size:
        raise LogError(f"{path}: {what} of row {int(bad[0])} has {int(lengths[bad[0]])} bytes, "
                       f"expected {4 * width} ({width} Float32 values); the log is damaged")
    values = np.frombuffer(b"".join(blobs), dtype="<f4")
    if not values.dtype.isnative:  # a big-endian host
        values = values.astype(np.float32)
    return values.reshape(rows, width)


def _nullable(values: Sequence[float | None]) -> F64:
    """REAL NULL column → float64 with NaN for NULL."""
    return np.array([np.nan if v is None else v for v in values], np.float64) if None in values \
        else np.array(values, np.float64)


def _frame(columns: dict[str, np.ndarray], vectors: dict[str, tuple[np.ndarray, Sequence[str]]]) -> "pd.DataFrame":
    import pandas as pd

    data: dict[str, Any] = dict(columns)
    for prefix, (matrix, names) in vectors.items():
        for j, name in enumerate(names):
            data[f"{prefix}_{name}"] = matrix[:, j]
    return pd.DataFrame(data)


@dataclass(frozen=True)
class Steps:
    """Every step (request) of one run, sorted by (episode, session_index, request_index); read-only arrays.

    The final step of an episode is terminated (churn), truncated (the horizon), or neither when the log ends
    before the episode did (a run stopped at its session count, or interrupted): `cut`.
    """

    run: Run
    episode: I64
    session_index: I32
    request_index: I32
    observations: F32  # N × len(state_names)
    actions: F32  # N × len(action_names)
    rewards: F64
    reward_components: F32  # N × len(reward_component_names)
    session_end: B
    terminated: B  # the log's `terminal`: the user churned after this step
    truncated: B  # the episode was cut at the horizon after this step
    elapsed_minutes: F64  # minutes the request took; NaN if the log has no step times (schema < 3)
    log_density: F64
    behaviour_mean: F32  # N × len(action_names)
    #: The step's session: its start on the simulation clock, and the minutes until the next session (NaN when
    #: the user did not return).
    session_start_minutes: F64
    return_gap_minutes: F64

    def __len__(self) -> int:
        return int(self.episode.shape[0])

    @property
    def episode_last(self) -> B:
        """True at the last logged step of each episode."""
        n = len(self)
        last = np.ones(n, np.bool_)
        if n > 1:
            last[:-1] = self.episode[1:] != self.episode[:-1]
        return last

    @property
    def episode_first(self) -> B:
        """True at the first logged step of each episode."""
        n = len(self)
        first = np.ones(n, np.bool_)
        if n > 1:
            first[1:] = self.episode[1:] != self.episode[:-1]
        return first

    @property
    def cut(self) -> B:
        """True at the last logged step of an episode that ends neither by churn nor at the horizon: the log
        stops before the episode does (its next session was never simulated). Exports mark it truncated."""
        return self.episode_last & ~self.terminated & ~self.truncated

    @property
    def episode_ids(self) -> I64:
        """The episodes, in order."""
        return self.episode[self.episode_first]

    def episode_bounds(self) -> tuple[I64, I64]:
        """(start, stop) row indices of each episode: rows start[k]:stop[k] are episode `episode_ids[k]`."""
        starts = np.flatnonzero(self.episode_first).astype(np.int64)
        stops = np.append(starts[1:], len(self)).astype(np.int64)
        return starts, stops

    def next_index(self) -> I64:
        """Row of each step's next observation: the next request of the same episode (the next session's first
        request after a session end); the row itself at an episode's last step."""
        n = len(self)
        idx = np.arange(1, n + 1, dtype=np.int64)
        last = self.episode_last
        idx[last] = np.flatnonzero(last)
        return idx

    def next_observations(self) -> F32:
        """Each step's next state. Convention shared with `mtfsim.Env`: the final step of an episode (terminated,
        truncated, or cut) has a copy of its own state, since no request follows; the flags say why."""
        return self.observations[self.next_index()]

    def check_contiguous(self) -> None:
        """Raises LogError unless every episode's steps are whole sessions 0, 1, … with requests 0, 1, … (each
        step's successor is the next request, or the next session's first request after a session end)."""
        n = len(self)
        if n == 0:
            return
        ok_first = ~self.episode_first | ((self.session_index == 0) & (self.request_index == 0))
        same = ~self.episode_last[:-1]
        s0, s1 = self.session_index[:-1], self.session_index[1:]
        r0, r1 = self.request_index[:-1], self.request_index[1:]
        follows = np.where(s1 == s0, (r1 == r0 + 1) & ~self.session_end[:-1],
                           (s1 == s0 + 1) & (r1 == 0) & self.session_end[:-1])
        bad = np.flatnonzero(same & ~follows)
        if bad.size or not ok_first.all():
            i = int(bad[0]) + 1 if bad.size else int(np.flatnonzero(~ok_first)[0])
            raise LogError(f"run {self.run.id}: episode {int(self.episode[i])} has a gap before session "
                           f"{int(self.session_index[i])}, request {int(self.request_index[i])}")

    @property
    def transition_minutes(self) -> F64:
        """Minutes from this request to the next of the episode: `elapsed_minutes`, plus the session's
        `return_gap_minutes` when the step ends its session and the user came back (or would have, after the
        horizon); no gap after a churn. The same rule as Swift's `TransitionRule` (NaN without step times)."""
        gap = np.where(self.session_end & ~np.isnan(self.return_gap_minutes), self.return_gap_minutes, 0.0)
        return self.elapsed_minutes + gap

    @property
    def time_minutes(self) -> F64:
        """The absolute simulation clock at each request: its session's start plus the minutes of the session's
        earlier requests (NaN without step times)."""
        n = len(self)
        into = np.zeros(n, np.float64)  # minutes into the session, summed request by request (as the clock runs)
        if n:
            order = np.argsort(self.request_index, kind="stable")
            offsets = np.searchsorted(self.request_index[order], np.arange(int(self.request_index.max()) + 2))
            for k in range(1, offsets.size - 1):
                rows = order[offsets[k]:offsets[k + 1]]
                if rows.size == 0:
                    continue
                prev = rows - 1  # rows are sorted by (episode, session, request): request k-1 is the row before
                ok = (prev >= 0) & (self.request_index[np.maximum(prev, 0)] == k - 1) \
                    & (self.session_index[np.maximum(prev, 0)] == self.session_index[rows]) \
                    & (self.episode[np.maximum(prev, 0)] == self.episode[rows])
                into[rows] = np.where(ok, into[prev] + self.elapsed_minutes[prev], np.nan)
        return self.session_start_minutes + into

    def to_pandas(self) -> "pd.DataFrame":
        """One row per step; vectors as columns `obs_<state name>`, `action_<action name>`,
        `reward_<component name>` and `behaviour_mean_<action name>`."""
        r = self.run
        return _frame(
            {"episode": self.episode, "session_index": self.session_index, "request_index": self.request_index,
             "reward": self.rewards, "session_end": self.session_end, "terminated": self.terminated,
             "truncated": self.truncated, "cut": self.cut, "elapsed_minutes": self.elapsed_minutes,
             "transition_minutes": self.transition_minutes, "time_minutes": self.time_minutes,
             "log_density": self.log_density},
            {"obs": (self.observations, r.state_names), "action": (self.actions, r.action_names),
             "reward": (self.reward_components, r.reward_component_names),
             "behaviour_mean": (self.behaviour_mean, r.action_names)})


@dataclass(frozen=True)
class Sessions:
    """Every session of one run, sorted by (episode, session_index); read-only arrays."""

    run: Run
    episode: I64
    session_index: I32
    user_id: I64
    start_minutes: F64
    duration_minutes: F64
    requests: I64
    impressions: I64
    task_counts: I64  # N × len(task_names)
    watch_seconds: F64
    reward: F64
    mean_satisfaction: F64
    return_gap_minutes: F64  # NaN when the user did not return
    end_reason: npt.NDArray[np.int8]  # 0 returned, 1 churned, 2 horizon
    request_cap: B  # the session hit its request cap (`sessions.truncated`)

    RETURNED, CHURNED, HORIZON = 0, 1, 2

    def __len__(self) -> int:
        return int(self.episode.shape[0])

    def to_pandas(self) -> "pd.DataFrame":
        """One row per session; task counts as columns `count_<task name>`; `end_reason` as text."""
        names = np.array(["returned", "churned", "horizon"])
        return _frame(
            {"episode": self.episode, "session_index": self.session_index, "user_id": self.user_id,
             "start_minutes": self.start_minutes, "duration_minutes": self.duration_minutes,
             "requests": self.requests, "impressions": self.impressions, "watch_seconds": self.watch_seconds,
             "reward": self.reward, "mean_satisfaction": self.mean_satisfaction,
             "return_gap_minutes": self.return_gap_minutes, "end_reason": names[self.end_reason],
             "request_cap": self.request_cap},
            {"count": (self.task_counts, self.run.task_names)})


@dataclass(frozen=True)
class Impressions:
    """Every impression (shown item) of one run, sorted by (episode, session_index, request_index, position)."""

    run: Run
    episode: I64
    session_index: I32
    request_index: I32
    position: I32
    item: I64
    predictions: F32  # N × len(task_names): the ranker's predictions
    tasks: I64  # bitmask: bit k ⇔ the user did task k
    examined: B
    watch_seconds: F64
    true_probabilities: F32  # N × len(task_names); NaN rows where the log has none (schema 1)
    random_exposure: B

    def __len__(self) -> int:
        return int(self.episode.shape[0])

    @property
    def task_outcomes(self) -> B:
        """N × len(task_names): whether the user did each task (the bits of `tasks`)."""
        k = np.arange(len(self.run.task_names), dtype=np.int64)
        return ((self.tasks[:, None] >> k[None, :]) & 1).astype(np.bool_)

    def to_pandas(self) -> "pd.DataFrame":
        """One row per impression; `prediction_<task>`, `true_<task>` and `did_<task>` columns."""
        names = self.run.task_names
        return _frame(
            {"episode": self.episode, "session_index": self.session_index, "request_index": self.request_index,
             "position": self.position, "item": self.item, "tasks": self.tasks, "examined": self.examined,
             "watch_seconds": self.watch_seconds, "random_exposure": self.random_exposure},
            {"prediction": (self.predictions, names), "true": (self.true_probabilities, names),
             "did": (self.task_outcomes, names)})


class EpisodeLog:
    """An open, read-only episode log. Use `open_log`."""

    def __init__(self, path: str, connection: sqlite3.Connection, schema_version: int, runs: list[Run],
                 columns: dict[str, set[str]]):
        self.path = path
        self.schema_version = schema_version
        self.runs = runs
        self._db = connection
        self._columns = columns

    def __enter__(self) -> "EpisodeLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"EpisodeLog({self.path!r}, schema {self.schema_version}, runs {[r.id for r in self.runs]})"

    def run(self, run: int | None = None) -> Run:
        """The run with id `run`; with None, the only run (LogError when the log holds several or none)."""
        if run is None:
            if len(self.runs) != 1:
                ids = ", ".join(str(r.id) for r in self.runs) or "none"
                raise LogError(f"{self.path}: the log holds {len(self.runs)} runs (ids {ids}); choose one with run=ID")
            return self.runs[0]
        for r in self.runs:
            if r.id == run:
                return r
        ids = ", ".join(str(r.id) for r in self.runs) or "none"
        raise LogError(f"{self.path}: no run {run} (runs: {ids})")

    def _rows(self, sql: str, params: tuple[Any, ...]) -> Iterator[list[tuple[Any, ...]]]:
        try:
            cursor = self._db.execute(sql, params)
            while True:
                chunk = cursor.fetchmany(_CHUNK)
                if not chunk:
                    return
                yield chunk
        except sqlite3.DatabaseError as e:
            raise LogError(f"{self.path}: cannot read the log ({e})") from e

    def _columnar(self, sql: str, params: tuple[Any, ...], width: int) -> list[list[Any]]:
        """Runs `sql` and returns its result as `width` column lists."""
        columns: list[list[Any]] = [[] for _ in range(width)]
        for chunk in self._rows(sql, params):
            for column, values in zip(columns, zip(*chunk)):
                column.extend(values)
        return columns

    def _session_keys(self, run: int) -> tuple[I64, I32, F64, F64]:
        ep, si, start, gap = self._columnar(
            "SELECT episode, session_index, start_minutes, return_gap_minutes FROM sessions WHERE run_id = ? "
            "ORDER BY episode, session_index", (run,), 4)
        return (np.array(ep, np.int64), np.array(si, np.int32), np.array(start, np.float64), _nullable(gap))

    def steps(self, run: int | None = None) -> Steps:
        """Every step of the run (the only run when None), as arrays."""
        r = self.run(run)
        elapsed = "elapsed_minutes" if "elapsed_minutes" in self._columns["steps"] else "NULL"
        cols = self._columnar(
            "SELECT episode, session_index, request_index, state, action, behaviour_mean, log_density, reward, "
            f"reward_components, session_end, terminal, truncated, {elapsed} FROM steps WHERE run_id = ? "
            "ORDER BY episode, session_index, request_index", (r.id,), 13)
        n = len(cols[0])
        episode = np.array(cols[0], np.int64)
        session_index = np.array(cols[1], np.int32)
        s_ep, s_si, s_start, s_gap = self._session_keys(r.id)
        # Each step's session row: both are sorted by (episode, session_index).
        pos = _lookup(s_ep, s_si, episode, session_index)
        if n and (pos < 0).any():
            i = int(np.flatnonzero(pos < 0)[0])
            raise LogError(f"{self.path}: run {r.id}: step (episode {int(episode[i])}, session "
                           f"{int(session_index[i])}) has no session row; the log is damaged")
        A = len(r.action_names)
        return Steps(
            run=r,
            episode=_readonly(episode),
            session_index=_readonly(session_index),
            request_index=_readonly(np.array(cols[2], np.int32)),
            observations=_readonly(_floats(cols[3], n, len(r.state_names), "state", self.path)),
            actions=_readonly(_floats(cols[4], n, A, "action", self.path)),
            behaviour_mean=_readonly(_floats(cols[5], n, A, "behaviour_mean", self.path)),
            log_density=_readonly(np.array(cols[6], np.float64)),
            rewards=_readonly(np.array(cols[7], np.float64)),
            reward_components=_readonly(_floats(cols[8], n, len(r.reward_component_names), "reward_components",
                                                self.path)),
            session_end=_readonly(np.array(cols[9], np.int64) != 0),
            terminated=_readonly(np.array(cols[10], np.int64) != 0),
            truncated=_readonly(np.array(cols[11], np.int64) != 0),
            elapsed_minutes=_readonly(_nullable(cols[12])),
            session_start_minutes=_readonly(s_start[pos] if n else np.zeros(0)),
            return_gap_minutes=_readonly(s_gap[pos] if n else np.zeros(0)),
        )

    def sessions(self, run: int | None = None) -> Sessions:
        """Every session of the run (the only run when None), as arrays."""
        r = self.run(run)
        cols = self._columnar(
            "SELECT episode, session_index, user_id, start_minutes, duration_minutes, requests, impressions, "
            "task_counts, watch_seconds, reward, mean_satisfaction, return_gap_minutes, end_reason, truncated "
            "FROM sessions WHERE run_id = ? ORDER BY episode, session_index", (r.id,), 14)
        n = len(cols[0])
        T = len(r.task_names)
        try:
            counts = np.array(json.loads("[" + ",".join(cols[7]) + "]"), np.int64).reshape(n, T) if n \
                else np.zeros((0, T), np.int64)
        except (ValueError, TypeError) as e:
            raise LogError(f"{self.path}: run {r.id}: bad sessions.task_counts ({e})") from e
        return Sessions(
            run=r,
            episode=_readonly(np.array(cols[0], np.int64)),
            session_index=_readonly(np.array(cols[1], np.int32)),
            user_id=_readonly(np.array(cols[2], np.int64)),
            start_minutes=_readonly(np.array(cols[3], np.float64)),
            duration_minutes=_readonly(np.array(cols[4], np.float64)),
            requests=_readonly(np.array(cols[5], np.int64)),
            impressions=_readonly(np.array(cols[6], np.int64)),
            task_counts=_readonly(counts),
            watch_seconds=_readonly(np.array(cols[8], np.float64)),
            reward=_readonly(np.array(cols[9], np.float64)),
            mean_satisfaction=_readonly(np.array(cols[10], np.float64)),
            return_gap_minutes=_readonly(_nullable(cols[11])),
            end_reason=_readonly(np.array(cols[12], np.int8)),
            request_cap=_readonly(np.array(cols[13], np.int64) != 0),
        )

    def impressions(self, run: int | None = None) -> Impressions:
        """Every impression of the run (the only run when None), as arrays. Large: about slate size × steps."""
        r = self.run(run)
        have = self._columns["impressions"]
        true_p = "true_probabilities" if "true_probabilities" in have else "NULL"
        random = "random_exposure" if "random_exposure" in have else "0"
        cols = self._columnar(
            "SELECT episode, session_index, request_index, position, item, predictions, tasks, examined, "
            f"watch_seconds, {true_p}, {random} FROM impressions WHERE run_id = ? "
            "ORDER BY episode, session_index, request_index, position", (r.id,), 11)
        n = len(cols[0])
        T = len(r.task_names)
        truth = cols[9]
        if n and None in truth:
            present = np.fromiter((b is not None for b in truth), np.bool_, count=n)
            true_probabilities = np.full((n, T), np.nan, np.float32)
            kept = [b for b in truth if b is not None]
            true_probabilities[present] = _floats(kept, len(kept), T, "true_probabilities", self.path)
        else:
            true_probabilities = _floats(truth, n, T, "true_probabilities", self.path)
        return Impressions(
            run=r,
            episode=_readonly(np.array(cols[0], np.int64)),
            session_index=_readonly(np.array(cols[1], np.int32)),
            request_index=_readonly(np.array(cols[2], np.int32)),
            position=_readonly(np.array(cols[3], np.int32)),
            item=_readonly(np.array(cols[4], np.int64)),
            predictions=_readonly(_floats(cols[5], n, T, "predictions", self.path)),
            tasks=_readonly(np.array(cols[6], np.int64)),
            examined=_readonly(np.array(cols[7], np.int64) != 0),
            watch_seconds=_readonly(np.array(cols[8], np.float64)),
            true_probabilities=_readonly(true_probabilities),
            random_exposure=_readonly(np.array(cols[10], np.int64) != 0),
        )


def _lookup(keys_a: I64, keys_b: I32, a: I64, b: I32) -> I64:
    """Index of each (a, b) among the sorted pairs (keys_a, keys_b); -1 where absent."""
    if keys_a.size == 0:
        return np.full(a.shape, -1, np.int64)
    scale = np.int64(max(int(keys_b.max(initial=0)), int(b.max(initial=0))) + 1)
    keys = keys_a * scale + keys_b
    wanted = a * scale + b.astype(np.int64)
    pos = np.searchsorted(keys, wanted)
    pos = np.minimum(pos, keys.size - 1)
    return np.where(keys[pos] == wanted, pos, -1).astype(np.int64)


def _names(text: str, what: str, path: str, run: int) -> tuple[str, ...]:
    try:
        names = json.loads(text)
    except ValueError as e:
        raise LogError(f"{path}: run {run}: {what} is not JSON ({e})") from e
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise LogError(f"{path}: run {run}: {what} is not a JSON array of names")
    return tuple(names)


def open_log(path: str | os.PathLike[str]) -> EpisodeLog:
    """Opens an episode log read-only (it may still be written by a running simulation).

    Raises FileNotFoundError when `path` does not exist, and LogError (a ValueError) naming the path and the
    reason when it is not an MTFSim log, is damaged, or has a schema newer than this reader (> 3).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(2, f"no such episode log: {path}", path)
    if os.path.isdir(path):
        raise LogError(f"{path}: is a directory, not an episode log")
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error as e:
        raise LogError(f"{path}: cannot open ({e})") from e
    try:
        try:
            app = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as e:
            raise LogError(f"{path}: not an MTFSim episode log: not a SQLite database ({e})") from e
        if app != APPLICATION_ID:
            raise LogError(f"{path}: not an MTFSim episode log (application_id 0x{app & 0xFFFFFFFF:08X}, "
                           f"expected 0x{APPLICATION_ID:08X})")
        if version > SCHEMA_VERSION:
            raise LogError(f"{path}: schema version {version} is newer than this reader supports "
                           f"(≤ {SCHEMA_VERSION}); upgrade the mtfsim Python package")
        if version < 1:
            raise LogError(f"{path}: schema version {version}: not a complete MTFSim episode log")
        columns = {t: {row[1] for row in db.execute(f"PRAGMA table_info({t})")}
                   for t in ("runs", "sessions", "steps", "impressions")}
        missing = [t for t, c in columns.items() if not c]
        if missing:
            raise LogError(f"{path}: not a complete MTFSim episode log (missing tables: {', '.join(missing)})")
        runs = [_run(row, path) for row in db.execute(
            "SELECT id, name, status, environment_name, seed, policy_spec, ranker_name, state_names, action_names, "
            "reward_component_names, task_names, action_low, action_high, requested_sessions, slate_size "
            "FROM runs ORDER BY id")]
    except LogError:
        db.close()
        raise
    except sqlite3.DatabaseError as e:
        db.close()
        raise LogError(f"{path}: cannot read the log ({e})") from e
    return EpisodeLog(path, db, int(version), runs, columns)


def _run(row: tuple[Any, ...], path: str) -> Run:
    rid = int(row[0])
    actions = _names(row[8], "action_names", path, rid)
    low = _floats([row[11]], 1, len(actions), "action_low", path)[0].copy()
    high = _floats([row[12]], 1, len(actions), "action_high", path)[0].copy()
    return Run(
        id=rid, name=row[1], status=row[2], environment_name=row[3],
        seed=int(row[4]) % (1 << 64), policy_spec=row[5], ranker_name=row[6],
        state_names=_names(row[7], "state_names", path, rid), action_names=actions,
        reward_component_names=_names(row[9], "reward_component_names", path, rid),
        task_names=_names(row[10], "task_names", path, rid),
        action_low=_readonly(low), action_high=_readonly(high),
        requested_sessions=int(row[13]), slate_size=int(row[14]),
    )

"""mtfsim.log against an independent decoder: values bit for bit, order, flags, the next-observation convention,
elapsed time, and the refusals."""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from conftest import Reference, floats, reference, same_bits
from mtfsim.log import APPLICATION_ID, LogError, Steps, open_log


@pytest.fixture(params=["tiny_log", "churn_log"])
def any_log(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


def test_runs(any_log: Path) -> None:
    ref = reference(any_log)
    db = sqlite3.connect(any_log)
    row = db.execute("SELECT name, status, environment_name, seed, policy_spec, task_names FROM runs").fetchone()
    with open_log(any_log) as log:
        assert log.schema_version == 3
        [run] = log.runs
        assert (run.id, run.name, run.status, run.environment_name, run.policy_spec) == (1, *row[:3], row[4])
        assert run.seed == row[3] == 1
        assert list(run.state_names) == ref.state_names and list(run.action_names) == ref.action_names
        assert list(run.reward_component_names) == ref.component_names
        assert list(run.task_names) == json.loads(row[5])
        assert same_bits(run.action_low, np.array(ref.action_low, np.float32))
        assert same_bits(run.action_high, np.array(ref.action_high, np.float32))


def test_a_seed_above_two_to_the_63_reads_unsigned(tiny_log: Path, tmp_path: Path) -> None:
    copy = tmp_path / "seed.sqlite"
    shutil.copy(tiny_log, copy)
    db = sqlite3.connect(copy)
    db.execute("UPDATE runs SET seed = -2")  # the bit pattern of 2^64 - 2
    db.commit()
    db.close()
    with open_log(copy) as log:
        assert log.runs[0].seed == 2**64 - 2


def test_steps_are_the_logged_values_bit_for_bit(any_log: Path) -> None:
    ref = reference(any_log)
    with open_log(any_log) as log:
        steps = log.steps()
    n = len(ref.keys)
    assert len(steps) == n > 100
    keys = np.array(ref.keys, np.int64)
    assert same_bits(steps.episode, keys[:, 0])
    assert same_bits(steps.session_index, keys[:, 1].astype(np.int32))
    assert same_bits(steps.request_index, keys[:, 2].astype(np.int32))
    assert same_bits(steps.observations, ref.f32(ref.states))
    assert steps.observations.shape == (n, len(ref.state_names))
    assert same_bits(steps.actions, ref.f32(ref.actions))
    assert same_bits(steps.behaviour_mean, ref.f32(ref.behaviour_means))
    assert same_bits(steps.reward_components, ref.f32(ref.components))
    assert same_bits(steps.rewards, np.array(ref.rewards, np.float64))
    assert same_bits(steps.log_density, np.array(ref.log_densities, np.float64))
    assert same_bits(steps.session_end, np.array(ref.session_end))
    assert same_bits(steps.terminated, np.array(ref.terminal))
    assert same_bits(steps.truncated, np.array(ref.truncated))
    assert same_bits(steps.elapsed_minutes, np.array(ref.elapsed, np.float64))
    assert not steps.observations.flags.writeable  # a frozen record of the log


def test_episode_ends_and_flags(churn_log: Path) -> None:
    ref = reference(churn_log)
    with open_log(churn_log) as log:
        steps = log.steps()
        sessions = log.sessions()
    steps.check_contiguous()
    ends = {e: rows[-1] for e, rows in ref.episodes().items()}
    last = np.zeros(len(ref.keys), bool)
    last[list(ends.values())] = True
    assert same_bits(steps.episode_last, last)
    assert list(steps.episode_ids) == sorted(ends)
    # churned sessions ↔ terminal steps, horizon sessions ↔ truncated steps, at each episode's last step
    churned = {(e, s) for (e, s), (_, _, end) in ref.sessions.items() if end == 1}
    horizon = {(e, s) for (e, s), (_, _, end) in ref.sessions.items() if end == 2}
    assert len(churned) >= 2 and len(horizon) >= 2, "the churn log must have churned and horizon episodes"
    term_keys = {ref.keys[i][:2] for i in np.flatnonzero(steps.terminated)}
    trunc_keys = {ref.keys[i][:2] for i in np.flatnonzero(steps.truncated)}
    assert term_keys == churned and trunc_keys == horizon
    assert not (steps.terminated & ~last).any() and not (steps.truncated & ~last).any()
    # the rest of the episodes stop where the log stops (the run reached its session count)
    cut = [e for e, i in ends.items() if not ref.terminal[i] and not ref.truncated[i]]
    assert list(steps.episode[steps.cut]) == cut and len(cut) >= 1
    assert (sessions.end_reason == 1).sum() == len(churned)


def test_next_observation_is_the_next_request_and_a_copy_at_the_end(churn_log: Path) -> None:
    ref = reference(churn_log)
    with open_log(churn_log) as log:
        steps = log.steps()
    nxt = steps.next_observations()
    states = ref.f32(ref.states)
    crossings = 0
    for rows in ref.episodes().values():
        for a, b in zip(rows[:-1], rows[1:]):
            assert same_bits(nxt[a], states[b])
            if ref.session_end[a]:  # crossing into the next session: its first request
                assert ref.keys[b][1] == ref.keys[a][1] + 1 and ref.keys[b][2] == 0
                crossings += 1
        assert same_bits(nxt[rows[-1]], states[rows[-1]])  # the convention: a copy of its own state
    assert crossings > 10


def test_elapsed_time(churn_log: Path) -> None:
    ref = reference(churn_log)
    with open_log(churn_log) as log:
        steps = log.steps()
    expected = []
    for i, (e, s, _) in enumerate(ref.keys):
        minutes = ref.elapsed[i]
        assert minutes is not None and minutes > 0
        gap = ref.sessions[(e, s)][1]
        expected.append(minutes + gap if ref.session_end[i] and gap is not None else minutes)
    assert same_bits(steps.transition_minutes, np.array(expected))
    # no gap after a churn; a gap after a horizon end (the user would come back, after the episode)
    assert same_bits(steps.transition_minutes[steps.terminated], steps.elapsed_minutes[steps.terminated])
    assert (steps.transition_minutes[steps.truncated] > steps.elapsed_minutes[steps.truncated] + 29).all()
    time = steps.time_minutes
    into = 0.0  # minutes into the session, summed request by request
    for i, (e, s, r) in enumerate(ref.keys):
        previous = ref.elapsed[i - 1] if r > 0 else 0.0
        assert previous is not None
        into = 0.0 if r == 0 else into + previous
        assert time[i] == ref.sessions[(e, s)][0] + into
    # the clock runs on: the next request of an episode is at this one plus the transition's minutes
    inner = ~steps.episode_last
    nxt = steps.next_index()
    assert np.allclose(time[nxt][inner], (time + steps.transition_minutes)[inner], rtol=0, atol=1e-6)


def test_sessions_and_impressions(churn_log: Path) -> None:
    db = sqlite3.connect(churn_log)
    with open_log(churn_log) as log:
        sessions = log.sessions()
        impressions = log.impressions()
        tasks = log.runs[0].task_names
    rows = db.execute("SELECT episode, session_index, user_id, start_minutes, task_counts, return_gap_minutes, "
                      "end_reason, truncated FROM sessions ORDER BY episode, session_index").fetchall()
    assert len(sessions) == len(rows) == 150
    assert list(zip(sessions.episode.tolist(), sessions.session_index.tolist())) == [r[:2] for r in rows]
    assert sessions.user_id.tolist() == [r[2] for r in rows]
    assert same_bits(sessions.start_minutes, np.array([r[3] for r in rows]))
    assert sessions.task_counts.tolist() == [json.loads(r[4]) for r in rows]
    assert same_bits(sessions.return_gap_minutes, np.array([math.nan if r[5] is None else r[5] for r in rows]))
    assert sessions.end_reason.tolist() == [r[6] for r in rows]
    assert sessions.request_cap.tolist() == [bool(r[7]) for r in rows]

    rows = db.execute("SELECT episode, session_index, request_index, position, item, predictions, tasks, examined, "
                      "watch_seconds, true_probabilities FROM impressions "
                      "ORDER BY episode, session_index, request_index, position").fetchall()
    assert len(impressions) == len(rows)
    assert impressions.position.tolist() == [r[3] for r in rows] and impressions.item.tolist() == [r[4] for r in rows]
    assert same_bits(impressions.predictions, np.array([floats(r[5]) for r in rows], np.float32))
    assert same_bits(impressions.true_probabilities, np.array([floats(r[9]) for r in rows], np.float32))
    assert impressions.task_outcomes.tolist() == [[bool((r[6] >> k) & 1) for k in range(len(tasks))] for r in rows]
    assert impressions.examined.tolist() == [bool(r[7]) for r in rows]
    assert same_bits(impressions.watch_seconds, np.array([r[8] for r in rows]))
    # per session, the impressions add up to the session's count
    per: dict[tuple[int, int], int] = {}
    for e, s in zip(impressions.episode.tolist(), impressions.session_index.tolist()):
        per[(e, s)] = per.get((e, s), 0) + 1
    assert [per.get(k, 0) for k in zip(sessions.episode.tolist(), sessions.session_index.tolist())] == \
        sessions.impressions.tolist()


def test_pandas_frames(tiny_log: Path) -> None:
    pytest.importorskip("pandas")
    with open_log(tiny_log) as log:
        steps, sessions, impressions = log.steps(), log.sessions(), log.impressions()
        run = log.runs[0]
    frame = steps.to_pandas()
    assert len(frame) == len(steps)
    assert [f"obs_{n}" for n in run.state_names] == [c for c in frame.columns if c.startswith("obs_")]
    assert same_bits(frame[[f"obs_{n}" for n in run.state_names]].to_numpy(), steps.observations)
    assert same_bits(frame[[f"action_{n}" for n in run.action_names]].to_numpy(), steps.actions)
    assert same_bits(frame["reward"].to_numpy(), steps.rewards)
    assert {"episode", "session_index", "request_index", "terminated", "truncated", "cut", "elapsed_minutes",
            "transition_minutes", "time_minutes"} <= set(frame.columns)
    s = sessions.to_pandas()
    assert len(s) == len(sessions) and set(s["end_reason"]) <= {"returned", "churned", "horizon"}
    assert [f"count_{t}" for t in run.task_names] == [c for c in s.columns if c.startswith("count_")]
    i = impressions.to_pandas()
    assert len(i) == len(impressions) and f"did_{run.task_names[0]}" in i.columns


def test_several_runs(two_run_log: Path, churn_log: Path) -> None:
    with open_log(two_run_log) as log:
        assert [r.id for r in log.runs] == [1, 2]
        with pytest.raises(LogError, match=r"2 runs \(ids 1, 2\).*run=ID") as error:
            log.steps()
        assert str(two_run_log) in str(error.value)
        with pytest.raises(LogError, match="no run 3"):
            log.sessions(run=3)
        second = log.steps(run=2)
    with open_log(churn_log) as log:
        alone = log.steps()
    assert same_bits(second.observations, alone.observations) and same_bits(second.rewards, alone.rewards)
    assert second.run.id == 2


# MARK: refusals


def test_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.sqlite"
    with pytest.raises(FileNotFoundError, match="absent.sqlite"):
        open_log(missing)
    assert not missing.exists()


def test_a_text_file(text_file: Path) -> None:
    before = text_file.read_bytes()
    with pytest.raises(LogError, match="not a SQLite database") as error:
        open_log(text_file)
    assert str(text_file) in str(error.value)
    assert isinstance(error.value, ValueError)
    assert text_file.read_bytes() == before


def test_a_foreign_sqlite_file(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE runs (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(LogError, match=r"not an MTFSim episode log \(application_id 0x00000000") as error:
        open_log(other)
    assert str(other) in str(error.value)


def test_a_newer_schema(tiny_log: Path, tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite"
    shutil.copy(tiny_log, newer)
    db = sqlite3.connect(newer)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.execute("PRAGMA user_version = 4")
    db.commit()
    db.close()
    with pytest.raises(LogError, match=r"schema version 4 is newer.*≤ 3") as error:
        open_log(newer)
    assert str(newer) in str(error.value)


def test_a_damaged_blob(tiny_log: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.sqlite"
    shutil.copy(tiny_log, damaged)
    db = sqlite3.connect(damaged)
    db.execute("UPDATE steps SET action = x'0000' WHERE episode = 0 AND session_index = 0 AND request_index = 2")
    db.commit()
    db.close()
    with open_log(damaged) as log, pytest.raises(LogError, match="action of row 2 has 2 bytes"):
        log.steps()


def test_a_log_without_step_times_reads_nan(tiny_log: Path, tmp_path: Path) -> None:
    old = tmp_path / "untimed.sqlite"
    shutil.copy(tiny_log, old)
    db = sqlite3.connect(old)
    db.execute("UPDATE steps SET elapsed_minutes = NULL")
    db.commit()
    db.close()
    with open_log(old) as log:
        steps = log.steps()
    assert np.isnan(steps.elapsed_minutes).all() and np.isnan(steps.transition_minutes).all()
    assert np.isnan(steps.time_minutes[steps.request_index > 0]).all()


def test_empty_steps_object_is_consistent(tiny_log: Path) -> None:
    with open_log(tiny_log) as log:
        steps = log.steps()
    empty = Steps(**{f: (v[:0] if isinstance(v, np.ndarray) else v)  # type: ignore[arg-type]
                     for f, v in vars(steps).items()})
    assert len(empty) == 0 and empty.next_observations().shape == (0, steps.observations.shape[1])
    assert empty.time_minutes.shape == (0,) and empty.episode_bounds()[0].shape == (0,)

"""The exports hold exactly the log: observations, actions, rewards and flags bit for bit against an independent
decoder, episode boundaries, elapsed time and the final-observation convention; Parquet read back by pyarrow,
DuckDB, Polars (and ray.data when installed); the `python -m mtfsim export` command's refusals."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import Reference, reference, run_module, same_bits
from mtfsim.export import default_dataset_id, prepare, save_d3rlpy, time_path, to_d3rlpy, to_minari, to_parquet
from mtfsim.log import LogError, open_log


@pytest.fixture(params=["tiny_log", "churn_log"])
def any_log(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


def expected_flags(ref: Reference) -> tuple[np.ndarray, np.ndarray]:
    """terminated = the log's terminal; truncated = the log's truncated, or the last step of an episode that ends
    in neither (the log stops there)."""
    terminated = np.array(ref.terminal)
    truncated = np.array(ref.truncated)
    for rows in ref.episodes().values():
        last = rows[-1]
        if not ref.terminal[last] and not ref.truncated[last]:
            truncated[last] = True
    return terminated, truncated


def expected_transition_minutes(ref: Reference) -> np.ndarray:
    out = []
    for i, (e, s, _) in enumerate(ref.keys):
        gap, minutes = ref.sessions[(e, s)][1], ref.elapsed[i]
        assert minutes is not None, "the test logs have step times"
        out.append(minutes + gap if ref.session_end[i] and gap is not None else minutes)
    return np.array(out)


def test_prepare_ends_every_episode_once(churn_log: Path) -> None:
    ref = reference(churn_log)
    with open_log(churn_log) as log:
        kept = prepare(log)
        dropped = prepare(log, incomplete="drop")
        with pytest.raises(ValueError, match="incomplete must be"):
            prepare(log, incomplete="keep")  # type: ignore[arg-type]
    terminated, truncated = expected_flags(ref)
    assert same_bits(kept.terminated, terminated) and same_bits(kept.truncated, truncated)
    assert kept.dropped_episodes == 0 and len(kept.steps) == len(ref.keys)
    cut = [e for e, rows in ref.episodes().items() if not ref.terminal[rows[-1]] and not ref.truncated[rows[-1]]]
    assert dropped.dropped_episodes == len(cut) >= 1
    assert not np.isin(dropped.steps.episode, cut).any()
    assert len(dropped.steps) == len(ref.keys) - sum(len(ref.episodes()[e]) for e in cut)
    assert not dropped.steps.cut.any() and same_bits(dropped.truncated, dropped.steps.truncated)


def test_default_dataset_id(tiny_log: Path) -> None:
    with open_log(tiny_log) as log:
        run = log.runs[0]
    assert run.policy_spec == "mixture:0.1,0.15@0.5,0.5,-2.0"
    assert default_dataset_id(run) == "mtfsim/tiny/mixture_0_1_0_15-v0"


# MARK: Parquet


def test_parquet_round_trip_with_pyarrow(any_log: Path, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    ref = reference(any_log)
    out = tmp_path / "steps.parquet"
    written = to_parquet(any_log, out, row_group_size=128)
    n = len(ref.keys)
    assert written == n
    file = pq.ParquetFile(out)
    assert file.metadata.num_row_groups == -(-n // 128)  # written in row groups
    table = file.read()
    S, A, C = len(ref.state_names), len(ref.action_names), len(ref.component_names)
    assert table.schema.names == ["eps_id", "obs", "actions", "rewards", "new_obs", "terminateds", "truncateds", "t",
                                  "action_logp", "episode", "session_index", "request_index", "session_end", "cut",
                                  "elapsed_minutes", "transition_minutes", "time_minutes", "reward_components"]
    types = {f.name: f.type for f in table.schema}
    assert types["obs"] == pa.list_(pa.float32(), S) == types["new_obs"]
    assert types["actions"] == pa.list_(pa.float32(), A) and types["reward_components"] == pa.list_(pa.float32(), C)
    assert types["eps_id"] == pa.string() and types["t"] == pa.int64() and types["rewards"] == pa.float64()
    meta = json.loads(table.schema.metadata[b"mtfsim"])
    assert meta["state_names"] == ref.state_names and meta["action_names"] == ref.action_names

    def matrix(name: str, width: int) -> np.ndarray:
        return table.column(name).combine_chunks().flatten().to_numpy().reshape(-1, width)

    states = ref.f32(ref.states)
    assert same_bits(matrix("obs", S), states)
    assert same_bits(matrix("actions", A), ref.f32(ref.actions))
    assert same_bits(matrix("reward_components", C), ref.f32(ref.components))
    assert same_bits(table.column("rewards").to_numpy(), np.array(ref.rewards))
    assert same_bits(table.column("action_logp").to_numpy(), np.array(ref.log_densities))
    terminated, truncated = expected_flags(ref)
    assert same_bits(table.column("terminateds").to_numpy(), terminated)
    assert same_bits(table.column("truncateds").to_numpy(), truncated)
    assert same_bits(table.column("elapsed_minutes").to_numpy(), np.array(ref.elapsed, np.float64))
    assert same_bits(table.column("transition_minutes").to_numpy(), expected_transition_minutes(ref))
    # episodes: ids, t from 0, new_obs = the next request's state, a copy of the state at the end
    new_obs = matrix("new_obs", S)
    eps_id = table.column("eps_id").to_pylist()
    t = table.column("t").to_numpy()
    for episode, rows in ref.episodes().items():
        assert all(eps_id[i] == str(episode) for i in rows)
        assert t[rows].tolist() == list(range(len(rows)))
        for a, b in zip(rows[:-1], rows[1:]):
            assert same_bits(new_obs[a], states[b])
        assert same_bits(new_obs[rows[-1]], states[rows[-1]])
        assert terminated[rows[-1]] != truncated[rows[-1]]  # each episode ends in exactly one


def test_parquet_with_duckdb_and_polars(churn_log: Path, tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    pl = pytest.importorskip("polars")
    ref = reference(churn_log)
    out = tmp_path / "churn.parquet"
    to_parquet(churn_log, out)
    S = len(ref.state_names)
    terminated, truncated = expected_flags(ref)

    con = duckdb.connect()
    described = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{out}')").fetchall()}
    # DuckDB reads Parquet lists as variable-length (the fixed size lives in the Arrow schema it ignores)
    assert described["obs"] in (f"FLOAT[{S}]", "FLOAT[]") and described["eps_id"] == "VARCHAR"
    assert con.execute(f"SELECT min(len(obs)), max(len(new_obs)) FROM read_parquet('{out}')").fetchone() == (S, S)
    assert described["terminateds"] == "BOOLEAN" and described["rewards"] == "DOUBLE"
    count, terms, truncs, episodes, reward = con.execute(
        f"SELECT count(*), sum(terminateds::INT), sum(truncateds::INT), count(DISTINCT eps_id), sum(rewards) "
        f"FROM read_parquet('{out}')").fetchone()
    assert (count, terms, truncs, episodes) == (len(ref.keys), terminated.sum(), truncated.sum(), len(ref.episodes()))
    assert reward == pytest.approx(sum(ref.rewards), rel=1e-12)
    obs = con.execute(f"SELECT obs FROM read_parquet('{out}') WHERE episode = 3 AND t = 2").fetchone()[0]
    row = ref.keys.index(next(k for k in ref.keys if k[0] == 3 and ref.episodes()[3].index(ref.keys.index(k)) == 2))
    assert same_bits(np.array(obs, np.float32), ref.f32(ref.states)[row])

    frame = pl.read_parquet(out)
    assert frame.schema["obs"] == pl.Array(pl.Float32, S) and frame.schema["eps_id"] == pl.String
    assert frame.columns[:8] == ["eps_id", "obs", "actions", "rewards", "new_obs", "terminateds", "truncateds", "t"]
    assert same_bits(frame["obs"].to_numpy(), ref.f32(ref.states))
    assert same_bits(frame["actions"].to_numpy(), ref.f32(ref.actions))
    assert same_bits(frame["rewards"].to_numpy(), np.array(ref.rewards))
    assert same_bits(frame["terminateds"].to_numpy(), terminated)
    assert same_bits(frame["truncateds"].to_numpy(), truncated)
    lengths = frame.group_by("eps_id").agg(pl.len(), pl.col("t").max()).sort("eps_id")
    assert (lengths["len"] == lengths["t"] + 1).all()


def test_parquet_with_ray_data(churn_log: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    ray = pytest.importorskip("ray")
    import ray.data

    ref = reference(churn_log)
    out = tmp_path / "ray.parquet"
    to_parquet(churn_log, out)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    try:
        dataset = ray.data.read_parquet(str(out))
        assert dataset.count() == len(ref.keys)
        batch = dataset.take_batch(batch_size=len(ref.keys), batch_format="numpy")
    finally:
        ray.shutdown()
    assert same_bits(np.stack(batch["obs"]).astype(np.float32), ref.f32(ref.states))
    assert same_bits(np.stack(batch["actions"]).astype(np.float32), ref.f32(ref.actions))
    assert same_bits(batch["rewards"], np.array(ref.rewards))
    terminated, truncated = expected_flags(ref)
    assert same_bits(batch["terminateds"], terminated) and same_bits(batch["truncateds"], truncated)
    assert [str(k[0]) for k in ref.keys] == [str(x) for x in batch["eps_id"]]


# MARK: Minari


def test_minari_round_trip(any_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    minari = pytest.importorskip("minari")
    import gymnasium as gym

    ref = reference(any_log)
    root = tmp_path / "minari"
    monkeypatch.delenv("MINARI_DATASETS_PATH", raising=False)
    written = to_minari(any_log, root, dataset_id="mtfsim/test/roundtrip-v0")
    assert "MINARI_DATASETS_PATH" not in os.environ  # only set while writing
    assert (root / "mtfsim" / "test" / "roundtrip-v0").is_dir()
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))
    dataset = minari.load_dataset("mtfsim/test/roundtrip-v0")
    episodes = ref.episodes()
    assert dataset.total_episodes == len(episodes) == written.total_episodes
    assert dataset.total_steps == len(ref.keys)
    S = len(ref.state_names)
    assert dataset.observation_space == gym.spaces.Box(-np.inf, np.inf, (S,), np.float32)
    low, high = np.array(ref.action_low, np.float32), np.array(ref.action_high, np.float32)
    assert same_bits(dataset.action_space.low, low) and same_bits(dataset.action_space.high, high)
    states, actions = ref.f32(ref.states), ref.f32(ref.actions)
    terminated, truncated = expected_flags(ref)
    minutes = expected_transition_minutes(ref)
    for ep, rows in zip(dataset.iterate_episodes(), episodes.values()):
        T = len(rows)
        assert ep.observations.shape == (T + 1, S)
        assert same_bits(ep.observations[:-1], states[rows])
        assert same_bits(ep.observations[-1], states[rows[-1]])  # the final observation: a copy
        assert same_bits(ep.actions, actions[rows])
        assert same_bits(ep.rewards, np.array(ref.rewards)[rows])
        assert same_bits(ep.terminations, terminated[rows]) and same_bits(ep.truncations, truncated[rows])
        info = ep.infos
        assert same_bits(info["elapsed_minutes"][1:], np.array(ref.elapsed, np.float64)[rows])
        assert np.isnan(info["elapsed_minutes"][0])
        assert same_bits(info["transition_minutes"][1:], minutes[rows])
        assert info["session_index"][1:].tolist() == [ref.keys[i][1] for i in rows]
        assert info["request_index"][1:].tolist() == [ref.keys[i][2] for i in rows]
        assert info["session_end"][1:].tolist() == [ref.session_end[i] for i in rows]
        assert same_bits(info["reward_components"][1:], ref.f32(ref.components)[rows])


def test_minari_default_id_and_refusal_to_overwrite(churn_log: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    minari = pytest.importorskip("minari")
    root = tmp_path / "datasets"
    written = to_minari(churn_log, root, incomplete="drop")
    assert written.spec.dataset_id == "mtfsim/tiny-churn/mixture_0_1_0_15-v0"
    ref = reference(churn_log)
    cut = sum(1 for rows in ref.episodes().values() if not ref.terminal[rows[-1]] and not ref.truncated[rows[-1]])
    assert written.total_episodes == len(ref.episodes()) - cut
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))
    assert minari.load_dataset(written.spec.dataset_id).total_episodes == written.total_episodes
    with pytest.raises(LogError, match="already exists"):
        to_minari(churn_log, root)
    with pytest.raises(LogError, match="namespace/name-vN"):
        to_minari(churn_log, root, dataset_id="not an id")


# MARK: d3rlpy (needs d3rlpy and torch; /work/exp/venv-d3 or `pip install 'mtfsim[d3rlpy]'`)


@pytest.mark.d3rlpy
def test_d3rlpy_round_trip(any_log: Path, tmp_path: Path) -> None:
    d3rlpy = pytest.importorskip("d3rlpy")
    ref = reference(any_log)
    terminated, truncated = expected_flags(ref)
    out = tmp_path / "data.h5"
    made = save_d3rlpy(any_log, out)
    assert time_path(out) == str(tmp_path / "data.time.npz")
    with open(out, "rb") as f:
        loaded = d3rlpy.dataset.ReplayBuffer.load(f, d3rlpy.dataset.InfiniteBuffer())
    episodes = ref.episodes()
    states, actions = ref.f32(ref.states), ref.f32(ref.actions)
    for dataset in (made, loaded):
        assert len(dataset.episodes) == len(episodes)
        for ep, rows in zip(dataset.episodes, episodes.values()):
            assert same_bits(ep.observations, states[rows])
            assert same_bits(ep.actions, actions[rows])
            assert same_bits(ep.rewards, np.array(ref.rewards)[rows].reshape(-1, 1))
            assert ep.terminated == bool(terminated[rows[-1]])  # churn; else a timeout (horizon or the log's end)
            assert ep.terminated != bool(truncated[rows[-1]])
    in_memory = to_d3rlpy(any_log)
    assert len(in_memory.episodes) == len(episodes)
    # the elapsed times beside it, one row per step in the dataset's order
    times = np.load(time_path(out))
    assert times["episode"].tolist() == [k[0] for k in ref.keys]
    assert same_bits(times["elapsed_minutes"], np.array(ref.elapsed, np.float64))
    assert same_bits(times["transition_minutes"], expected_transition_minutes(ref))
    assert same_bits(times["terminated"], terminated) and same_bits(times["truncated"], truncated)
    assert times["state_names"].tolist() == ref.state_names


@pytest.mark.d3rlpy
def test_d3rlpy_learner_trains_on_the_export(churn_log: Path) -> None:
    d3rlpy = pytest.importorskip("d3rlpy")
    dataset = to_d3rlpy(churn_log)
    algo = d3rlpy.algos.TD3PlusBCConfig(batch_size=32).create(device="cpu:0")
    algo.fit(dataset, n_steps=20, n_steps_per_epoch=20, show_progress=False, save_interval=10**9,
             experiment_name="mtfsim-test", with_timestamp=False, logger_adapter=d3rlpy.logging.NoopAdapterFactory())
    action = algo.predict(np.array(dataset.episodes[0].observations[:1]))
    assert action.shape == (1, 3) and np.isfinite(action).all()


def test_the_package_does_not_import_d3rlpy_or_torch(tiny_log: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    result = run_module("export", str(tiny_log), "--to", "parquet", str(tmp_path / "x.parquet"))
    assert result.returncode == 0, result.stderr
    import mtfsim

    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys, mtfsim.log, mtfsim.export, mtfsim.__main__; "
         "print(sorted(m for m in ('d3rlpy', 'torch', 'pandas', 'minari', 'pyarrow') if m in sys.modules))"],
        capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(mtfsim.__file__).resolve().parent.parent)})
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"


# MARK: python -m mtfsim export


def one_line_exit_2(result: object, *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)  # type: ignore[attr-defined]
    lines = [line for line in result.stderr.splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert len(lines) == 1, result.stderr  # type: ignore[attr-defined]
    for word in words:
        assert word in lines[0], lines[0]


def test_cli_refusals(tiny_log: Path, two_run_log: Path, text_file: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    out = str(tmp_path / "out.parquet")
    one_line_exit_2(run_module("export", str(text_file), "--to", "parquet", out), str(text_file),
                    "not a SQLite database")
    missing = tmp_path / "absent.sqlite"
    one_line_exit_2(run_module("export", str(missing), "--to", "parquet", out), str(missing))
    newer = tmp_path / "newer.sqlite"
    shutil.copy(tiny_log, newer)
    db = sqlite3.connect(newer)
    db.execute("PRAGMA user_version = 4")
    db.commit()
    db.close()
    one_line_exit_2(run_module("export", str(newer), "--to", "parquet", out), str(newer), "schema version 4")
    one_line_exit_2(run_module("export", str(two_run_log), "--to", "parquet", out), "2 runs", "(ids 1, 2)")
    one_line_exit_2(run_module("export", str(two_run_log), "--to", "parquet", out, "--run", "9"), "no run 9")
    one_line_exit_2(run_module("export", str(tiny_log), "--to", "csv", out), "invalid choice")
    one_line_exit_2(run_module("export", str(tiny_log), "--to", "parquet", out, "--dataset-id", "a/b-v0"),
                    "--dataset-id")
    one_line_exit_2(run_module("export", str(tiny_log), "--to", "parquet", str(tmp_path / "no" / "dir" / "x.parquet")))
    assert not Path(out).exists()


def test_cli_exports_the_chosen_run(two_run_log: Path, churn_log: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    out = tmp_path / "run2.parquet"
    result = run_module("export", str(two_run_log), "--to", "parquet", str(out), "--run", "2")
    assert result.returncode == 0, result.stderr
    assert f"{len(reference(churn_log).keys)} steps → Parquet" in result.stdout
    table = pq.read_table(out)
    direct = tmp_path / "direct.parquet"
    to_parquet(churn_log, direct)
    assert table.drop_columns([]).equals(pq.read_table(direct))


def test_cli_without_d3rlpy_says_how_to_install_it(tiny_log: Path, tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("d3rlpy") is not None:
        pytest.skip("d3rlpy is installed here")
    out = tmp_path / "data.h5"
    one_line_exit_2(run_module("export", str(tiny_log), "--to", "d3rlpy", str(out)), "needs d3rlpy", "pip install")
    assert not out.exists()

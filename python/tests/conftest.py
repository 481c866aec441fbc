"""Shared fixtures: episode logs made by the real `mtfsim` CLI, and an independent reference decoder.

The package is imported from the repository's `python/` when it is not installed (so `pytest python/tests` works
from a checkout); an installed package is used as it is.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

PYTHON_DIR = Path(__file__).resolve().parent.parent
REPO = PYTHON_DIR.parent
if importlib.util.find_spec("mtfsim") is None:
    sys.path.insert(0, str(PYTHON_DIR))


def cli_binary() -> Path | None:
    """`$MTFSIM_CLI`, else the repository's .build/debug/mtfsim, else .build/release/mtfsim."""
    given = os.environ.get("MTFSIM_CLI")
    if given:
        return Path(given) if os.access(given, os.X_OK) else None
    for kind in ("debug", "release"):
        path = REPO / ".build" / kind / "mtfsim"
        if os.access(path, os.X_OK):
            return path
    return None


@pytest.fixture(scope="session")
def cli() -> Path:
    path = cli_binary()
    if path is None:
        pytest.skip("no mtfsim CLI to make test logs: build it (swift build) or set MTFSIM_CLI to its path"
                    + (f" (MTFSIM_CLI={os.environ['MTFSIM_CLI']} is not executable)" if os.environ.get("MTFSIM_CLI") else ""))
    return path


def simulate(cli: Path, log: Path, *arguments: str) -> Path:
    result = subprocess.run([str(cli), "simulate", *arguments, "--log", str(log), "--json"], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"mtfsim simulate failed: {result.stderr}"
    return log


@pytest.fixture(scope="session")
def tiny_log(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world, 200 sessions: episodes end at the horizon (no churn), the last one is cut."""
    return simulate(cli, tmp_path_factory.mktemp("logs") / "tiny.sqlite", "--env", "tiny", "--sessions", "200",
                    "--seed", "1")


@pytest.fixture(scope="session")
def churn_log(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world with a high churn rate: episodes that churn (terminated), some cut at the horizon
    (truncated), and one the run stops inside (cut)."""
    directory = tmp_path_factory.mktemp("churn")
    env = directory / "tiny-churn.yaml"
    text = (REPO / "environments" / "tiny.yaml").read_text().replace("name: tiny", "name: tiny-churn", 1)
    env.write_text(text + "\nreturn: {churnIntercept: -1.0}\n")
    return simulate(cli, directory / "churn.sqlite", "--env", str(env), "--sessions", "150", "--seed", "1")


@pytest.fixture(scope="session")
def two_run_log(tiny_log: Path, churn_log: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny log with the churn log's run appended as run 2 (as `simulate` into one file would)."""
    path = tmp_path_factory.mktemp("two") / "two.sqlite"
    source = sqlite3.connect(tiny_log)
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.execute("ATTACH DATABASE ? AS other", (str(churn_log),))
    for table in ("runs", "sessions", "steps", "impressions"):
        columns = [row[1] for row in target.execute(f"PRAGMA other.table_info({table})")]
        key = "id" if table == "runs" else "run_id"
        select = ", ".join("2" if c == key else c for c in columns)
        target.execute(f"INSERT INTO main.{table} ({', '.join(columns)}) SELECT {select} FROM other.{table}")
    target.commit()
    target.close()
    return path


# MARK: an independent reference: rows straight from SQLite, Float32 BLOBs decoded with struct


def floats(blob: bytes) -> list[float]:
    return list(struct.unpack(f"<{len(blob) // 4}f", blob))


@dataclass
class Reference:
    """One run's steps and sessions, decoded row by row with `struct` (no numpy, no mtfsim)."""

    state_names: list[str]
    action_names: list[str]
    component_names: list[str]
    action_low: list[float]
    action_high: list[float]
    keys: list[tuple[int, int, int]]  # (episode, session_index, request_index), in key order
    states: list[list[float]]
    actions: list[list[float]]
    behaviour_means: list[list[float]]
    components: list[list[float]]
    rewards: list[float]
    log_densities: list[float]
    session_end: list[bool]
    terminal: list[bool]
    truncated: list[bool]
    elapsed: list[float | None]
    # sessions, keyed by (episode, session_index): (start_minutes, return_gap_minutes, end_reason)
    sessions: dict[tuple[int, int], tuple[float, float | None, int]]

    def episodes(self) -> dict[int, list[int]]:
        """Row numbers of each episode, in order."""
        out: dict[int, list[int]] = {}
        for i, (e, _, _) in enumerate(self.keys):
            out.setdefault(e, []).append(i)
        return out

    def f32(self, rows: list[list[float]]) -> np.ndarray:
        return np.array(rows, dtype=np.float32).reshape(len(rows), -1)


def reference(path: Path, run: int = 1) -> Reference:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    names = db.execute("SELECT state_names, action_names, reward_component_names, action_low, action_high "
                       "FROM runs WHERE id = ?", (run,)).fetchone()
    ref = Reference(json.loads(names[0]), json.loads(names[1]), json.loads(names[2]), floats(names[3]),
                    floats(names[4]), [], [], [], [], [], [], [], [], [], [], [], {})
    for row in db.execute("SELECT episode, session_index, request_index, state, action, behaviour_mean, reward, "
                          "reward_components, log_density, session_end, terminal, truncated, elapsed_minutes "
                          "FROM steps WHERE run_id = ? ORDER BY episode, session_index, request_index", (run,)):
        ref.keys.append((row[0], row[1], row[2]))
        ref.states.append(floats(row[3]))
        ref.actions.append(floats(row[4]))
        ref.behaviour_means.append(floats(row[5]))
        ref.rewards.append(row[6])
        ref.components.append(floats(row[7]))
        ref.log_densities.append(row[8])
        ref.session_end.append(bool(row[9]))
        ref.terminal.append(bool(row[10]))
        ref.truncated.append(bool(row[11]))
        ref.elapsed.append(row[12])
    for e, s, start, gap, end in db.execute("SELECT episode, session_index, start_minutes, return_gap_minutes, "
                                            "end_reason FROM sessions WHERE run_id = ?", (run,)):
        ref.sessions[(e, s)] = (start, gap, end)
    db.close()
    return ref


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shapes, dtypes and bit patterns (NaN equals NaN only with the same payload)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        view = {2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
        return bool(np.array_equal(np.ascontiguousarray(a).view(view), np.ascontiguousarray(b).view(view)))
    return bool(np.array_equal(a, b))


def package_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with PYTHONPATH leading to the package the tests import, so that
    a child process (a script, `python -m mtfsim`, Ray's workers) imports the same one."""
    env = dict(os.environ if base is None else base)
    spec = importlib.util.find_spec("mtfsim")
    assert spec is not None and spec.origin is not None
    env["PYTHONPATH"] = str(Path(spec.origin).parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_module(*arguments: str) -> subprocess.CompletedProcess[str]:
    """`python -m mtfsim …` with this interpreter, finding the package as the tests do."""
    return subprocess.run([sys.executable, "-m", "mtfsim", *arguments], capture_output=True, text=True,
                          env=package_env(), timeout=600)


@pytest.fixture
def text_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "notes.txt"
    path.write_text("These are notes, not an episode log.\n")
    yield path

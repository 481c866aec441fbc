"""python/examples/d3rlpy_side_by_side.py on a tiny world: every row is measured, on the same held-out episodes."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.d3rlpy

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example() -> object:
    spec = importlib.util.spec_from_file_location("d3rlpy_side_by_side", EXAMPLES / "d3rlpy_side_by_side.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_side_by_side_on_tiny(cli: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("d3rlpy")
    example = load_example()
    out = tmp_path / "side"
    status = example.main(["--cli", str(cli), "--env", "tiny", "--sessions", "300", "--seeds", "2", "--td3bc-steps", "60",
                           "--cql-steps", "20", "--eval-episodes", "8", "--out", str(out), "--json"])
    assert status == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((out / "results.json").read_text())
    assert printed == saved
    assert saved["transitions"] > 0
    assert set(saved["single"]) == {"baseline", "behaviour mixture:0.25,0.5"}
    assert saved["single"]["baseline"]["delta"] == 0
    runs = saved["runs"]
    assert {(r["library"], r["learner"], r["seed"]) for r in runs} == {
        (lib, learner, seed) for lib in ("MTFSim", "d3rlpy") for learner in ("td3bc", "cql") for seed in (1, 2)}
    for r in runs:
        assert np.isfinite(r["value"]) and r["train_seconds"] > 0
    summary = saved["summary"]
    for key in ("MTFSim td3bc", "d3rlpy td3bc", "MTFSim cql", "d3rlpy cql", "MTFSim vs d3rlpy td3bc"):
        assert key in summary
    ratio = summary["MTFSim vs d3rlpy td3bc"]["speed_ratio"]
    assert ratio[1] <= ratio[0] <= ratio[2] and ratio[0] > 0
    # A second run reuses the log (never overwritten) and trains again to the same MTFSim values.
    example.main(["--cli", str(cli), "--env", "tiny", "--sessions", "300", "--seeds", "1", "--td3bc-steps", "60",
                  "--cql-steps", "0", "--eval-episodes", "8", "--out", str(out)])
    again = json.loads((out / "results.json").read_text())
    first = next(r for r in runs if (r["library"], r["learner"], r["seed"]) == ("MTFSim", "td3bc", 1))
    second = next(r for r in again["runs"] if (r["library"], r["learner"], r["seed"]) == ("MTFSim", "td3bc", 1))
    assert first["value"] == second["value"]

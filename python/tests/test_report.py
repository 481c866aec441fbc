"""`mtfsim report` in a real headless Chromium: reports of a small log, a train run (with a CEM line), a compare and
an evaluate output open offline, make no network request and no console error or warning, and every chart draws
data marks. Screenshots are saved as test artefacts ($MTFSIM_TEST_ARTEFACTS, else .build/test-artefacts/report).

Needs the mtfsim CLI, vl-convert-python (the page's Vega bundle), websocket-client and Chromium. Without Chromium
the browser tests are skipped, unless MTFSIM_REQUIRE_BROWSER=1 (set by `make test`), where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pytest

from conftest import REPO

if TYPE_CHECKING:
    from browser import PageCheck

OUTPUTS = ("td3.json", "cem.json", "compare.json", "evaluate.json")


def run(cli: Path, *arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(cli), *arguments], capture_output=True, text=True, timeout=900, cwd=cwd)


def output(cli: Path, path: Path, *arguments: str) -> Path:
    result = run(cli, *arguments)
    assert result.returncode == 0, f"mtfsim {' '.join(arguments)} failed: {result.stderr[-2000:]}"
    path.write_text(result.stdout)
    return path


@pytest.fixture(scope="module")
def inputs(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mixture log of the tiny world; TD3 and CEM train outputs; a compare of three policies; an evaluate with the
    truth. Small, so that the module runs in well under a minute."""
    d = tmp_path_factory.mktemp("report-inputs")
    log = d / "tiny.sqlite"
    result = run(cli, "simulate", "--env", "tiny", "--sessions", "300", "--policy", "mixture:0.25,0.5", "--log", str(log),
                 "--json")
    assert result.returncode == 0, result.stderr
    output(cli, d / "td3.json", "train", "--env", "tiny", "--agent", "td3", "--steps", "3000", "--hidden", "16,16",
           "--eval-interval", "1000", "--eval-episodes", "16", "--out", str(d / "td3.ckpt"), "--json")
    output(cli, d / "cem.json", "train", "--env", "tiny", "--agent", "cem", "--steps", "2000", "--eval-episodes", "16",
           "--out", str(d / "cem.ckpt"), "--json")
    output(cli, d / "compare.json", "compare", "--env", "tiny", "--policies", f"baseline,{d / 'td3.ckpt'},fixed:1,0,0",
           "--seeds", "2", "--sessions", "100", "--json")
    output(cli, d / "evaluate.json", "evaluate", str(log), "--policy", "baseline", "--policy", "fixed:1,0,0",
           "--policy", "fixed:0.2,0.8,-4", "--truth", "200", "--json")
    return d


def report(cli: Path, out: Path, *sources: Path) -> subprocess.CompletedProcess[str]:
    return run(cli, "report", *map(str, sources), "--out", str(out), "--python", sys.executable)


def artefacts() -> Path:
    path = Path(os.environ.get("MTFSIM_TEST_ARTEFACTS", REPO / ".build" / "test-artefacts" / "report"))
    path.mkdir(parents=True, exist_ok=True)
    return path


CheckPage = Callable[..., "PageCheck"]


@pytest.fixture(scope="module")
def browser_check() -> CheckPage:
    from browser import check_page, chromium_path

    if chromium_path() is None:
        if os.environ.get("MTFSIM_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (MTFSIM_REQUIRE_BROWSER=1) but not found: install Debian's chromium")
        pytest.skip("no Chromium: install Debian's chromium (make test does)")
    pytest.importorskip("vl_convert", reason="mtfsim report needs vl-convert-python")
    return check_page


@pytest.mark.parametrize(
    ("name", "sources", "titles"),
    [
        ("log", ("tiny.sqlite",), ["Feedback rates", "Feedback by slate position", "Session depth", "Return gaps",
                                   "Reward per user-day across episodes", "Fusion weights by requestIndex"]),
        ("train", ("td3.json", "cem.json"), ["Learning curve: td3", "Learning curve: cem"]),
        ("compare", ("compare.json",), ["Paired difference to", "Reward per user-day by policy"]),
        ("evaluate", ("evaluate.json",), ["Estimates against the truth", "Policy selection by estimator"]),
    ],
)
def test_report_draws_every_chart_offline(cli: Path, inputs: Path, browser_check: CheckPage, tmp_path: Path, name: str,
                                          sources: tuple[str, ...], titles: list[str]) -> None:
    page = tmp_path / f"{name}.html"
    result = report(cli, page, *(inputs / s for s in sources))
    assert result.returncode == 0, result.stderr
    screenshot = artefacts() / f"report-{name}.png"
    check = browser_check(page, screenshot=screenshot, timeout_s=60)
    assert check.problems() == [], check.problems()
    assert check.warnings == [], check.warnings
    drawn = [c.title for c in check.charts]
    for title in titles:
        assert any(t.startswith(title) for t in drawn), f"no chart titled {title!r} in {drawn}"
    assert all(c.svg and c.marks > 0 for c in check.charts), check.charts
    assert screenshot.stat().st_size > 10_000 and screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_curve_has_baseline_and_cem_lines(cli: Path, inputs: Path, tmp_path: Path) -> None:
    page = tmp_path / "train.html"
    assert report(cli, page, inputs / "td3.json", inputs / "cem.json").returncode == 0
    data = json.loads((tmp_path / "train.json").read_text())
    td3 = next(c for c in data["charts"] if c["title"].startswith("Learning curve: td3"))
    baseline = json.loads((inputs / "td3.json").read_text())["baseline"]["rewardPerUserDay"]["mean"]
    cem = json.loads((inputs / "cem.json").read_text())["heldOut"]["rewardPerUserDay"]["mean"]
    rules = [layer["encoding"]["y"]["datum"] for layer in td3["spec"]["layer"]
             if layer["mark"]["type"] == "rule" and "datum" in layer["encoding"].get("y", {})]
    assert baseline in rules and cem in rules
    # The CSV beside the page holds the curve: one row per evaluation, the TD3 output's own numbers.
    curve = json.loads((inputs / "td3.json").read_text())["curve"]
    lines = (tmp_path / "train-data" / f"{td3['id']}.csv").read_text().splitlines()
    assert lines[0].startswith("environmentSteps,rewardPerUserDay,lower,upper")
    assert len(lines) == 1 + len(curve)
    assert float(lines[-1].split(",")[1]) == curve[-1]["heldOut"]["rewardPerUserDay"]["mean"]


def test_page_is_self_contained(cli: Path, inputs: Path, tmp_path: Path) -> None:
    page = tmp_path / "all.html"
    everything = [inputs / "tiny.sqlite", *(inputs / o for o in OUTPUTS)]
    result = report(cli, page, *everything)
    assert result.returncode == 0, result.stderr
    html = page.read_text()
    assert page.stat().st_size < 5_000_000
    # Nothing is loaded from elsewhere: no external scripts, styles or images in the markup (the inlined scripts'
    # text aside); the CSP forbids it anyway.
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", html, flags=re.S)
    assert markup.count("<script") == 3 and "<script src" not in markup
    for needle in ("<link ", "<img ", "@import", "src="):
        assert needle not in markup
    assert "default-src 'none'" in html
    data = json.loads((tmp_path / "all.json").read_text())
    assert data["kind"] == "report" and len(data["charts"]) == html.count('<figure class="chart"')
    for chart in data["charts"]:
        assert (tmp_path / "all-data" / f"{chart['id']}.csv").is_file()
    # --json says what was written, for scripts.
    again = run(cli, "report", *map(str, everything), "--out", str(tmp_path / "again.html"), "--python", sys.executable, "--json")
    written = json.loads(again.stdout)
    assert written["page"] == str(tmp_path / "again.html") and written["pageBytes"] == (tmp_path / "again.html").stat().st_size
    assert [c["id"] for c in written["charts"]] == [c["id"] for c in data["charts"]]
    assert all(Path(c["csv"]).is_file() for c in written["charts"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"kind": "benchmark", "formatVersion": 1}', "unknown kind"),
        ('{"agent": "td3", "curve": [{"environmentSteps": 1', "truncated or malformed JSON"),
        ('{"kind": "train", "formatVersion": 99, "curve": []}', "newer"),
        ("hello, world\n", "unknown kind of input"),
    ],
)
def test_bad_input_is_one_line_and_no_page(cli: Path, tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    page = tmp_path / "report.html"
    result = report(cli, page, bad)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and message in lines[0], result.stderr
    assert not page.exists() and not (tmp_path / "report.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.json"]


def test_newer_log_schema_is_refused(cli: Path, tiny_log: Path, tmp_path: Path) -> None:
    import sqlite3

    log = tmp_path / "newer.sqlite"
    shutil.copy(tiny_log, log)
    with sqlite3.connect(log) as db:
        db.execute("PRAGMA user_version = 99")
    page = tmp_path / "report.html"
    result = report(cli, page, log)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(log) in lines[0] and "newer" in lines[0], result.stderr
    assert not page.exists()


def test_report_never_overwrites_an_input(cli: Path, inputs: Path, tmp_path: Path) -> None:
    source = tmp_path / "compare.json"
    shutil.copy(inputs / "compare.json", source)
    before = source.read_bytes()
    result = report(cli, tmp_path / "compare.html", source)
    assert result.returncode != 0 and "one of the inputs" in result.stderr
    assert source.read_bytes() == before and not (tmp_path / "compare.html").exists()


def test_specifications_load_in_altair(cli: Path, inputs: Path, tmp_path: Path) -> None:
    """The JSON beside the page is Vega-Lite that Altair (6, on Vega-Lite 6) loads and validates as it is."""
    alt = pytest.importorskip("altair")
    everything = [inputs / "tiny.sqlite", *(inputs / o for o in OUTPUTS)]
    assert report(cli, tmp_path / "all.html", *everything).returncode == 0
    charts = json.loads((tmp_path / "all.json").read_text())["charts"]
    for chart in charts:
        spec = chart["spec"]
        kind = alt.LayerChart if "layer" in spec else alt.FacetChart if "facet" in spec else alt.Chart
        out = kind.from_dict(spec).to_dict()  # both validate against Altair's Vega-Lite schema
        data = out["data"]  # Altair moves inline values into named datasets
        assert data.get("values", out.get("datasets", {}).get(data.get("name"))) == spec["data"]["values"]


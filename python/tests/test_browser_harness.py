"""Tests of the headless-Chromium page checker in `browser.py`, on tiny pages that follow the report contract.

The pages inline Vega, Vega-Lite and vega-embed from `vl_convert.javascript_bundle()` (the vl-convert-python
package) and need no network. Skipped when no Chromium is found (`$CHROMIUM`, or chromium / chromium-browser /
google-chrome on PATH) or websocket-client is not installed.
"""

from __future__ import annotations

import json
import os
import re
import struct
import tempfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("websocket", reason="the browser harness needs websocket-client")

from browser import BrowserError, PageCheck, check_page, chromium_path  # noqa: E402

pytestmark = pytest.mark.skipif(
    chromium_path() is None, reason="no Chromium: set $CHROMIUM or install chromium (apt-get install chromium)"
)

BAR: dict[str, Any] = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "title": "Bars",
    "data": {"values": [{"k": "a", "v": 3}, {"k": "b", "v": 5}, {"k": "c", "v": 2}]},
    "mark": "bar",
    "encoding": {"x": {"field": "k", "type": "nominal"}, "y": {"field": "v", "type": "quantitative"}},
}
LINE: dict[str, Any] = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "title": "Line",
    "data": {"values": [{"t": t, "y": (t * 7 + (s == "q")) % 5, "s": s} for t in range(10) for s in ("p", "q")]},
    "mark": "line",
    "encoding": {
        "x": {"field": "t", "type": "quantitative"},
        "y": {"field": "y", "type": "quantitative"},
        "color": {"field": "s", "type": "nominal"},
    },
}


def empty(spec: dict[str, Any]) -> dict[str, Any]:
    return {**spec, "data": {"values": []}}


@pytest.fixture(scope="module")
def bundle() -> str:
    """Vega + Vega-Lite + vega-embed as one script (sets window.vegaEmbed), safe to inline in <script>."""
    vl_convert = pytest.importorskip("vl_convert", reason="the test pages need vl-convert-python")
    js: str = vl_convert.javascript_bundle()
    assert "<!--" not in js  # would put the HTML parser in "script data escaped" state
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)


def page(bundle: str | None, specs: list[dict[str, Any]], head: str = "", body: str = "") -> str:
    """A page following the report contract: one figure.chart per spec, rendered by vega-embed as SVG, then
    window.mtfsimReport. With bundle None there is no Vega at all (and `specs` must be empty)."""
    figures = "\n".join(
        f'<figure class="chart" id="chart-{i}" data-title="{spec.get("title", "")}"><div class="vega"></div></figure>'
        for i, spec in enumerate(specs)
    )
    specs_json = json.dumps(specs).replace("</", "<\\/")
    scripts = f'<script type="module">{bundle}</script>\n' if bundle is not None else ""
    scripts += f"""<script type="module">
const specs = {specs_json};
const errors = [];
await Promise.all(specs.map((spec, i) =>
  vegaEmbed(`#chart-${{i}} .vega`, spec, {{renderer: "svg", actions: false}})
    .catch(e => {{ errors.push(`chart-${{i}}: ${{e}}`); }})));
window.mtfsimReport = {{done: true, charts: specs.length, errors}};
</script>"""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>test</title>{head}</head>
<body>
<h1>Report</h1>
{figures}
{body}
{scripts}
</body></html>
"""


def write(tmp_path: Path, html: str, name: str = "report.html") -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_good_page_two_charts_and_screenshot(bundle: str, tmp_path: Path) -> None:
    shot = tmp_path / "shots" / "report.png"
    check = check_page(write(tmp_path, page(bundle, [BAR, LINE])), screenshot=shot)
    assert check.done
    assert check.console == []
    assert check.requests == []
    assert check.report_errors == []
    assert check.report_charts == 2
    assert [(c.id, c.title, c.svg) for c in check.charts] == [("chart-0", "Bars", True), ("chart-1", "Line", True)]
    bars, lines = check.charts
    assert bars.marks == 3  # one rect path per bar; axes, legend and title do not count
    assert lines.marks == 2  # one path per colour series
    assert check.problems() == []

    data = shot.read_bytes()
    width, height = png_size(data)
    assert width == 1200
    assert 300 < height < 4000  # heading + two stacked default-size charts
    assert len(data) > 5_000  # a drawn page, not a blank one


def test_empty_data_counts_as_no_marks(bundle: str, tmp_path: Path) -> None:
    check = check_page(write(tmp_path, page(bundle, [empty(BAR), BAR, empty(LINE)])))
    assert check.done and check.console == [] and check.requests == []
    assert [c.marks for c in check.charts] == [0, 3, 0]
    assert all(c.svg for c in check.charts)  # the frame (axes, title) is drawn; only data marks are missing
    assert check.problems() == ["chart-0 ('Bars') drew no data marks", "chart-2 ('Line') drew no data marks"]


def test_vega_embed_failure_is_reported(bundle: str, tmp_path: Path) -> None:
    bad = {**BAR, "mark": "no-such-mark"}
    check = check_page(write(tmp_path, page(bundle, [bad])))
    assert check.done
    assert len(check.report_errors) == 1 and check.report_errors[0].startswith("chart-0: ")
    assert check.charts[0].marks == 0
    assert any(p.startswith("report error: chart-0") for p in check.problems())


def test_console_errors_and_warnings(tmp_path: Path) -> None:
    html = page(None, [], body='<script>console.error("x"); console.warn("careful", 42); console.log("fine");</script>')
    check = check_page(write(tmp_path, html))
    assert check.done
    assert check.console == ["console.error: x"]
    assert check.warnings == ["console.warn: careful 42"]
    assert check.charts == []
    assert check.problems() == ["console error: console.error: x", "no figure.chart elements"]


def test_uncaught_exceptions(tmp_path: Path) -> None:
    body = """<script>throw new Error("boom");</script>
<script type="module">Promise.reject(new TypeError("nope"));</script>"""
    check = check_page(write(tmp_path, page(None, [], body=body)))
    assert check.done  # the later script still ran
    assert len(check.console) == 2
    thrown = next(m for m in check.console if "boom" in m)
    rejected = next(m for m in check.console if "nope" in m)
    assert thrown.startswith("exception: Uncaught Error: boom")
    assert rejected.startswith("exception: Uncaught (in promise) TypeError: nope")


def test_network_requests_are_recorded(tmp_path: Path) -> None:
    body = """<img src="http://example.invalid/x.png" alt="">
<script>fetch("https://example.invalid/data.json").catch(() => {});</script>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">"""
    check = check_page(write(tmp_path, page(None, [], body=body)))
    assert check.done
    assert sorted(check.requests) == ["http://example.invalid/x.png", "https://example.invalid/data.json"]
    # The failed loads are browser log errors too (hostname resolution is off in the harness: nothing left the box).
    assert any("ERR_NAME_NOT_RESOLVED" in m for m in check.console)


def test_local_file_request_is_recorded(tmp_path: Path) -> None:
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x00;"
    (tmp_path / "pixel.gif").write_bytes(gif)
    check = check_page(write(tmp_path, page(None, [], body='<img src="pixel.gif" alt="">')))
    assert check.requests == [(tmp_path / "pixel.gif").resolve().as_uri()]


def test_page_that_never_finishes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """done stays False after the timeout; the browser and its temporary profile are gone afterwards."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    html = '<figure class="chart" id="chart-0" data-title="T"><div class="vega"></div></figure>'
    shot = tmp_path / "stuck.png"
    check = check_page(write(tmp_path, html, "stuck.html"), screenshot=shot, timeout_s=1.5)
    assert not check.done
    assert check.report_charts is None
    assert [(c.id, c.title, c.marks, c.svg) for c in check.charts] == [("chart-0", "T", 0, False)]
    assert png_size(shot.read_bytes())[0] == 1200
    assert "window.mtfsimReport.done never became true" in check.problems()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stuck.html", "stuck.png"]  # profile removed
    assert not [pid for pid in _pids_with_arg(str(tmp_path))], "a Chromium process outlived check_page"


def test_alert_does_not_hang(tmp_path: Path) -> None:
    check = check_page(write(tmp_path, page(None, [], body='<script>alert("hello");</script>')), timeout_s=10)
    assert check.done
    assert check.console == ["dialog (alert): hello"]


def test_hung_page_raises_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import browser

    monkeypatch.setattr(browser, "CALL_TIMEOUT_S", 1.5)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    html = "<p>loading</p><script>setTimeout(() => { for (;;) {} }, 200);</script>"  # never sets mtfsimReport
    with pytest.raises(BrowserError, match="stopped responding"):
        check_page(write(tmp_path, html, "hung.html"), timeout_s=10)
    assert [p.name for p in tmp_path.iterdir()] == ["hung.html"]
    assert not _pids_with_arg(str(tmp_path)), "a Chromium process outlived check_page"


def test_missing_page(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        check_page(tmp_path / "nope.html")


def test_broken_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\necho 'no display for you' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CHROMIUM", str(fake))
    with pytest.raises(BrowserError, match="exited with status 3(.|\n)*no display for you"):
        check_page(write(tmp_path, page(None, [])))


def test_chromium_path_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "missing"))
    assert chromium_path() is None
    monkeypatch.setenv("CHROMIUM", "sh")
    assert chromium_path() is not None and os.path.basename(chromium_path() or "") == "sh"
    monkeypatch.delenv("CHROMIUM")
    assert chromium_path() is not None  # the module is skipped otherwise


def test_problems_of_a_default_check() -> None:
    assert PageCheck().problems() == ["window.mtfsimReport.done never became true", "no figure.chart elements"]


def _pids_with_arg(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids

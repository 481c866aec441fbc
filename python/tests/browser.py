"""Check a self-contained HTML report in a real headless Chromium, over the Chrome DevTools Protocol.

The report contract (see the report generator): the page is opened as a file:// URL, inlines all of its JavaScript,
puts each chart in ``<figure class="chart" id="chart-N" data-title="..."><div class="vega">`` rendered by vega-embed
as SVG, and sets ``window.mtfsimReport = {done: true, charts: N, errors: [...]}`` once every chart has rendered or
failed.

`check_page` launches a fresh headless Chromium with a temporary profile, records console errors and warnings,
uncaught exceptions, browser log errors and every network request the page makes, waits for
``window.mtfsimReport.done``, counts each chart's data marks (elements in Vega ``role-mark`` groups that are not part
of an axis, legend or title), optionally saves a full-page PNG screenshot, and always shuts the browser down and
removes the profile. Hostname resolution is disabled (``--host-resolver-rules``), so a page's requests to the network
are recorded but never leave the machine.

Needs the ``websocket-client`` package and a Chromium/Chrome binary (`chromium_path`).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import websocket

LAUNCH_TIMEOUT_S = 30.0  # starting Chromium on a busy 2-core machine can take a few seconds
CALL_TIMEOUT_S = 15.0  # one DevTools call (evaluate, screenshot, ...)
SCREENSHOT_MAX_HEIGHT = 16384  # Chromium's largest texture; taller pages are cut

_FLAGS = [
    "--headless=new",
    "--no-sandbox",  # required as root, harmless otherwise
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    # No DNS: requests to hosts are still issued (and recorded), then fail at once with ERR_NAME_NOT_RESOLVED.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]

_REPORT_JS = """(() => {
  const r = window.mtfsimReport;
  if (r === undefined || r === null) return null;
  return {done: r.done === true, charts: typeof r.charts === "number" ? r.charts : null,
          errors: Array.isArray(r.errors) ? r.errors.map(String) : []};
})()"""

_CHARTS_JS = """(() => {
  const shapes = "path, rect, line, text, circle, ellipse, image, polygon, polyline";
  const guides = '[class*="role-axis"], [class*="role-legend"], [class*="role-title"]';
  return Array.from(document.querySelectorAll("figure.chart")).map(fig => {
    let marks = 0;
    for (const g of fig.querySelectorAll("g.role-mark")) {
      if (g.closest(guides)) continue;
      for (const el of g.children) if (el.matches(shapes) && !el.closest(guides)) marks++;
    }
    return {id: fig.id, title: fig.getAttribute("data-title") || "", marks: marks,
            svg: fig.querySelector(".vega svg") !== null};
  });
})()"""


class BrowserError(RuntimeError):
    """Chromium could not be started, crashed, or stopped answering; the message ends with its log output."""


@dataclass
class ChartCheck:
    id: str  # the figure's id, "chart-N"
    title: str  # its data-title
    marks: int  # data-mark elements drawn (not axes, legends, titles); 0 = empty frame
    svg: bool  # the figure's div.vega holds an <svg>


@dataclass
class PageCheck:
    console: list[str] = field(default_factory=list)  # console.error calls, uncaught exceptions, browser log errors
    warnings: list[str] = field(default_factory=list)  # console.warn calls and browser log warnings
    requests: list[str] = field(default_factory=list)  # URLs requested besides the page itself (no data:/blob:)
    charts: list[ChartCheck] = field(default_factory=list)  # one per figure.chart, in document order
    done: bool = False  # window.mtfsimReport.done became true within the timeout
    report_errors: list[str] = field(default_factory=list)  # window.mtfsimReport.errors
    report_charts: int | None = None  # window.mtfsimReport.charts

    def problems(self) -> list[str]:
        """Everything that makes the page fail the contract, as readable lines; empty when the page is good."""
        out: list[str] = []
        if not self.done:
            out.append("window.mtfsimReport.done never became true")
        out += [f"console error: {m}" for m in self.console]
        out += [f"network request: {u}" for u in self.requests]
        out += [f"report error: {e}" for e in self.report_errors]
        if not self.charts:
            out.append("no figure.chart elements")
        if self.report_charts is not None and self.report_charts != len(self.charts):
            out.append(f"mtfsimReport.charts = {self.report_charts}, but the page has {len(self.charts)} figures")
        out += [f"{c.id} ({c.title!r}) drew no data marks" for c in self.charts if c.marks == 0]
        return out


def chromium_path() -> str | None:
    """`$CHROMIUM` (a path or a command name; None when it is not executable), else chromium, chromium-browser,
    google-chrome or google-chrome-stable on PATH."""
    given = os.environ.get("CHROMIUM")
    if given:
        return shutil.which(given)
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def check_page(
    html_path: Path, screenshot: Path | None = None, timeout_s: float = 30, width: int = 1200
) -> PageCheck:
    """Open `html_path` in a fresh headless Chromium and check it (see the module docstring).

    Waits up to `timeout_s` for window.mtfsimReport.done; a page that never gets there is returned with done=False
    (charts are still counted and the screenshot still taken). Raises FileNotFoundError for a missing page and
    BrowserError when Chromium is missing, does not start, crashes or hangs. The viewport is `width` CSS pixels wide;
    the screenshot, when asked for, is the whole page at that width.
    """
    html_path = Path(html_path).resolve()
    if not html_path.is_file():
        raise FileNotFoundError(html_path)
    exe = chromium_path()
    if exe is None:
        raise BrowserError("no Chromium found: set $CHROMIUM or install chromium")
    with _Browser(exe) as browser:
        return _check(browser, html_path.as_uri(), screenshot, timeout_s, width)


def _check(browser: _Browser, url: str, screenshot: Path | None, timeout_s: float, width: int) -> PageCheck:
    cdp = browser.cdp
    result = PageCheck()
    target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    crashed: list[str] = []

    def on_event(event: dict[str, Any]) -> None:
        if event.get("sessionId") != session:
            return
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            result.console.append(f"console.{params['type']}: " + _format_args(params.get("args", [])))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "warning":
            result.warnings.append("console.warn: " + _format_args(params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            result.console.append("exception: " + _format_exception(params.get("exceptionDetails", {})))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            where = f" ({entry['url']})" if entry.get("url") else ""
            line = f"log/{entry.get('source', '?')}: {entry.get('text', '')}{where}"
            if entry.get("level") == "error":
                result.console.append(line)
            elif entry.get("level") == "warning":
                result.warnings.append(line)
        elif method == "Network.requestWillBeSent":
            request_url = params.get("request", {}).get("url", "")
            if request_url != url and not request_url.startswith(("data:", "blob:")):
                result.requests.append(request_url)
        elif method == "Page.javascriptDialogOpening":  # alert() etc. would block the page: record and dismiss
            result.console.append(f"dialog ({params.get('type', '?')}): {params.get('message', '')}")
            cdp.send("Page.handleJavaScriptDialog", {"accept": False}, session=session)
        elif method == "Inspector.targetCrashed":
            crashed.append("renderer crashed")

    cdp.on_event = on_event
    for domain in ("Runtime", "Log", "Network", "Page", "Inspector"):
        cdp.call(f"{domain}.enable", session=session)
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    navigated = cdp.call("Page.navigate", {"url": url}, session=session)
    if navigated.get("errorText"):
        raise BrowserError(f"navigating to {url} failed: {navigated['errorText']}")

    def evaluate(expression: str) -> Any:
        if crashed:
            raise BrowserError(f"{url}: the renderer crashed")
        try:
            reply = cdp.call(
                "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session
            )
        except BrowserError as error:
            raise BrowserError(f"{url} stopped responding (a script that never returns?): {error}") from error
        if "exceptionDetails" in reply:
            raise BrowserError(f"harness script failed: {_format_exception(reply['exceptionDetails'])}")
        return reply.get("result", {}).get("value")

    deadline = time.monotonic() + timeout_s
    while True:
        report = evaluate(_REPORT_JS)
        if report is not None and report["done"]:
            break
        if time.monotonic() >= deadline:
            break
        cdp.pump(min(0.1, max(0.0, deadline - time.monotonic())))
    if report is not None:
        result.done = bool(report["done"])
        result.report_charts = report["charts"]
        result.report_errors = list(report["errors"])
    result.charts = [ChartCheck(c["id"], c["title"], int(c["marks"]), bool(c["svg"])) for c in evaluate(_CHARTS_JS)]

    if screenshot is not None:
        metrics = cdp.call("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        height = max(1, min(SCREENSHOT_MAX_HEIGHT, int(size["height"] + 0.999)))
        cdp.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        shot = cdp.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
            session=session,
            timeout=max(CALL_TIMEOUT_S, 30.0),  # big pages take a while to rasterise
        )
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
    cdp.pump(0.05)  # late events (e.g. an error logged right after done)
    if crashed:
        raise BrowserError(f"{url}: the renderer crashed")
    return result


def _format_args(args: list[dict[str, Any]]) -> str:
    parts = []
    for arg in args:
        if "value" in arg:
            value = arg["value"]
            parts.append(value if isinstance(value, str) else json.dumps(value))
        else:
            parts.append(str(arg.get("description", arg.get("type", "?"))))
    return " ".join(parts)


def _format_exception(details: dict[str, Any]) -> str:
    text = str(details.get("text", "exception"))
    exception = details.get("exception") or {}
    description = exception.get("description")
    if description is None and "value" in exception:
        description = json.dumps(exception["value"])
    if description:  # "Error: boom\n    at file:///...:4:170": message and stack
        return f"{text} {description}"
    where = f" at {details['url']}:{details.get('lineNumber', 0) + 1}" if details.get("url") else ""
    return f"{text}{where}"


class _CDP:
    """A blocking DevTools Protocol client on one websocket, with flattened target sessions."""

    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=CALL_TIMEOUT_S, suppress_origin=True)
        self.next_id = 0
        self.on_event: Callable[[dict[str, Any]], None] | None = None

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        """Send a command without waiting; its answer is dropped. Returns its id."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        return self.next_id

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Send a command and wait for its answer (BrowserError after `timeout`, default CALL_TIMEOUT_S)."""
        if timeout is None:
            timeout = CALL_TIMEOUT_S
        call_id = self.send(method, params, session)
        reply = self._receive(time.monotonic() + timeout, call_id)
        if reply is None:
            raise BrowserError(f"DevTools call {method} got no answer within {timeout:g} s")
        if "error" in reply:
            raise BrowserError(f"DevTools call {method} failed: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def pump(self, seconds: float) -> None:
        """Handle events for `seconds`."""
        self._receive(time.monotonic() + seconds, None)

    def _receive(self, deadline: float, want_id: int | None) -> dict[str, Any] | None:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.ws.settimeout(remaining)
            try:
                raw = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                return None
            except (websocket.WebSocketException, OSError) as error:
                raise BrowserError(f"DevTools connection lost: {error}") from error
            message: dict[str, Any] = json.loads(raw)
            if "id" in message:
                if message["id"] == want_id:
                    return message
            elif self.on_event is not None:
                self.on_event(message)

    def close(self) -> None:
        try:
            self.ws.close(timeout=1)
        except Exception:
            pass


class _Browser:
    """A headless Chromium in its own process group with a temporary profile; the context manager always stops it
    (Browser.close, then SIGTERM, then SIGKILL to the whole group) and removes the profile."""

    def __init__(self, exe: str) -> None:
        self.exe = exe
        self.tmp = Path(tempfile.mkdtemp(prefix="mtfsim-chromium-"))
        self.log_path = self.tmp / "chromium.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._cdp: _CDP | None = None

    @property
    def cdp(self) -> _CDP:
        assert self._cdp is not None
        return self._cdp

    def __enter__(self) -> _Browser:
        try:
            self._start()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _start(self) -> None:
        profile = self.tmp / "profile"
        # Crashpad keeps its database under $XDG_CONFIG_HOME/chromium whatever the flags say: keep it in the temp dir.
        env = {**os.environ, "XDG_CONFIG_HOME": str(self.tmp / "config"), "XDG_CACHE_HOME": str(self.tmp / "cache")}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [self.exe, *_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + LAUNCH_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise BrowserError(f"{self.exe} exited with status {self.proc.returncode}{self._log_tail()}")
            try:
                lines = port_file.read_text().split("\n")
                if len(lines) >= 2 and lines[0].strip().isdigit() and lines[1].startswith("/devtools/"):
                    ws_url = f"ws://127.0.0.1:{int(lines[0])}{lines[1].strip()}"
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BrowserError(f"{self.exe} did not open DevTools within {LAUNCH_TIMEOUT_S:g} s{self._log_tail()}")
            time.sleep(0.05)
        try:
            self._cdp = _CDP(ws_url)
        except (websocket.WebSocketException, OSError) as error:
            raise BrowserError(f"cannot connect to {ws_url}: {error}{self._log_tail()}") from error

    def _stop(self) -> None:
        proc = self.proc
        if self._cdp is not None:
            if proc is not None and proc.poll() is None:
                try:
                    self._cdp.call("Browser.close", timeout=3)
                except Exception:
                    pass
            self._cdp.close()
            self._cdp = None
        if proc is not None:
            # A graceful exit lets Chromium reap its own helper processes; SIGKILL (to the whole group) is the last
            # resort and may leave orphans for init to reap.
            for sig, wait_s in ((None, 5.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
                if sig is not None:
                    try:
                        if sig == signal.SIGKILL:
                            os.killpg(proc.pid, sig)
                        else:
                            proc.send_signal(sig)
                    except (ProcessLookupError, PermissionError):
                        pass
                try:
                    proc.wait(wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
            try:  # helpers that outlived the browser (its group id is the browser's pid)
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for _ in range(20):  # crashpad (in its own session) may write a moment after the browser is gone
            shutil.rmtree(self.tmp, ignore_errors=True)
            if not self.tmp.exists():
                break
            time.sleep(0.1)

    def _log_tail(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip()
        except OSError:
            return ""
        return "\n--- chromium log (tail) ---\n" + text[-3000:] if text else ""

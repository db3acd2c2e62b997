"""Helpers for the real-browser tests: the server process, waiting for the app, reading the page.

Kept out of conftest.py so that test modules can import them (``from e2e_util import ...``).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("HRA_VIZ_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "screenshots"
STARTUP_TIMEOUT_S = 90
IDLE_TIMEOUT_MS = 90_000
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
KANA_KANJI = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def app_pages() -> list[tuple[str, str]]:
    """(name, url path) of every page, read from app.py so that new pages are covered automatically.

    The default page is served at "/" (Streamlit ignores its url_path), so its path is "".
    """
    src = (ROOT / "app.py").read_text(encoding="utf-8")
    out = []
    for call in re.findall(r"st\.Page\((.*?)\)\s*,?\s*\n", src, flags=re.S):
        m = re.search(r'url_path="([^"]+)"', call)
        if not m:
            continue
        out.append((m.group(1), "" if re.search(r"default\s*=\s*True", call) else m.group(1)))
    assert len(out) >= 7, f"expected the app's pages in app.py, found {out}"
    return out


# --------------------------------------------------------------------------------------------
# the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, proc: subprocess.Popen, url: str, log: Path, fh):
        self.proc, self.url, self.log, self._fh = proc, url, log, fh

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_mb(self) -> float:
        """Resident set size (VmRSS) of the server process, in MB."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far, in seconds."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

    def stop(self) -> None:
        proc = self.proc
        try:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group only
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=15)
        finally:
            self._fh.close()


SERVER_FLAGS = {  # how Streamlit's own e2e suite starts its server
    "server.address": "127.0.0.1",
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
    "browser.gatherUsageStats": "false",
    "global.developmentMode": "false",
}


def start_server(
    cache: Path, log: Path, script: Path | None = None, env_extra: dict | None = None, **flags: str
) -> Server:
    """``serve.py`` (app.py) on a free port, headless, no file watcher; returns once healthy.

    ``script``: serve that Streamlit script instead (``streamlit run script``), e.g. a minimal page to
    time against. ``flags``: Streamlit options to override, ``_`` for ``.`` (``server_runOnSave="true"``).
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}  # the flags decide
    # The start-up warm-up of the default studies costs each fresh server a minute of CPU: off here
    # (the pages' buttons are tested), on where a test or benchmark asks for it (env_extra).
    env.update(HRA_VIZ_CACHE=str(cache), PYTHONUNBUFFERED="1", HRA_VIZ_WARM="0")
    env.update(env_extra or {})
    opts = {**SERVER_FLAGS, "server.port": str(port), **{k.replace("_", "."): v for k, v in flags.items()}}
    head = [sys.executable, "serve.py"]
    if script is not None:
        head = [sys.executable, "-m", "streamlit", "run", str(script)]
    cmd = head + [a for k, v in opts.items() for a in (f"--{k}", v)]
    fh = open(log, "wb")  # noqa: SIM115 - closed by Server.stop()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(proc, f"http://127.0.0.1:{port}", log, fh)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:  # bounded polling of the health endpoint
        if proc.poll() is not None:
            server.stop()
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            msg = f"streamlit not healthy after {STARTUP_TIMEOUT_S} s"
            raise RuntimeError(f"{msg}:\n{log.read_text()[-3000:]}")
        time.sleep(0.25)  # poll interval, bounded by the deadline


def server_tracebacks(text: str) -> list[str]:
    """The tracebacks in a server log that come from the app, not from Streamlit's own websocket
    teardown: when a browser drops its connection abruptly (a student closes the tab mid-run),
    Streamlit 1.67 on Starlette logs a ``WebSocketDisconnected`` traceback from inside
    ``starlette_websocket.py`` while it closes a socket that is already closed. Nobody sees it and
    no session is affected; every other traceback counts."""
    blocks = re.split(r"(?=Traceback \(most recent call last\))", text)[1:]
    return [
        b for b in blocks
        if not ("starlette/websockets.py" in b and "WebSocketDisconnected" in b
                and "streamlit/web/server/starlette/starlette_websocket.py" in b)
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------
# the page

_IDLE_JS = """
(n) => {
  const app = document.querySelector('[data-testid=stApp]');
  const ok = app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && document.querySelector('[data-testid=stMain]') !== null
    && document.querySelector('[data-stale=true]') === null;
  window.__idleCount = ok ? (window.__idleCount || 0) + 1 : 0;
  return window.__idleCount >= n;
}
"""


def wait_idle(page, timeout_ms: int = IDLE_TIMEOUT_MS, stable_polls: int = 3) -> None:
    """Wait until the script is not running and stays so for ``stable_polls`` polls 100 ms apart, so
    that reruns from the URL sanitiser or from callbacks have finished too."""
    page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)
    page.evaluate("() => { window.__idleCount = 0; }")
    page.wait_for_function(_IDLE_JS, arg=stable_polls, polling=100, timeout=timeout_ms)


def goto(page, url: str, timeout_ms: int = IDLE_TIMEOUT_MS) -> None:
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
    page.wait_for_selector("[data-testid=stApp]", state="attached", timeout=timeout_ms)
    wait_idle(page, timeout_ms)


def exceptions(page) -> list[str]:
    return [e.inner_text() for e in page.locator("[data-testid=stException]").all()]


def dialogs(page) -> list[str]:
    return page.locator("[role=dialog]").all_inner_texts()


def warnings_text(page) -> str:
    return "\n".join(page.locator("[data-testid=stAlertContentWarning]").all_inner_texts())


def main_text(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"e2e-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Every plotly chart: its number of traces, whether an svg/canvas of real size exists, and whether
# something was drawn for the traces (paths/images in the trace layers, or a WebGL/2-D canvas).
CHARTS_JS = """
() => Array.from(document.querySelectorAll('[data-testid=stPlotlyChart]')).map((box) => {
  const el = box.querySelector('.js-plotly-plot');
  if (!el) return {plot: false};
  const svg = el.querySelector('svg.main-svg');
  const r = (svg || el).getBoundingClientRect();
  const canvases = Array.from(el.querySelectorAll('canvas')).filter(c => c.width > 0 && c.height > 0);
  // drawn trace content: a path with a non-trivial outline, a heatmap image, a marker or a text label
  const drawn = Array.from(el.querySelectorAll('.trace path, .trace image, .trace text, image, .textpoint'))
    .filter(n => n.tagName !== 'path' || (n.getAttribute('d') || '').length > 4).length;
  // traces with data, not the invisible ones that keep an empty panel's axes (style._show_empty_panels)
  const traces = (el._fullData || []).filter(t => t.meta !== 'empty-panel').length;
  // x axes the figure declares (and does not hide) that plotly did not draw: a subplot without a trace
  const lay = el.layout || {}, full = el._fullLayout || {};
  const bare = Object.keys(lay).filter(k => /^xaxis\\d*$/.test(k) && lay[k].visible !== false && !full[k]);
  return {plot: true, traces, svg: !!svg, w: r.width, h: r.height, bare,
          svgNodes: el.querySelectorAll('.main-svg *').length, canvases: canvases.length, drawn};
})
"""


def clipped_formulas(page, slack_px: int = 4) -> list[str]:
    """The display formulas wider than their column (they scroll sideways, their end hidden)."""
    return page.evaluate(
        """(slack) => Array.from(document.querySelectorAll('.katex-display'))
             .filter(k => k.scrollWidth > k.clientWidth + slack).map(k => k.textContent.slice(0, 60))""",
        slack_px,
    )


def truncated_metrics(page) -> list[str]:
    """Texts of st.metric labels, values and deltas cut off with an ellipsis (or clipped)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid=stMetric] *'))
             .filter(e => e.scrollWidth > e.clientWidth + 1 && e.textContent.trim()
                          && getComputedStyle(e).overflow !== 'visible')
             .map(e => e.textContent.trim().slice(0, 60))"""
    )


def misaligned_metrics(page, slack_px: int = 2) -> list[list[str]]:
    """Rows of metrics whose values do not line up: side by side in an st.columns row, the k-th metric
    of each column (one metric per column, or a stack of the same number in each, such as a method's
    numbers), where a label or a header that wraps to more lines than its neighbours' pushed a value
    down. Each such row's value texts."""
    return page.evaluate(
        """(slack) => Array.from(document.querySelectorAll('[data-testid=stHorizontalBlock]'))
             .flatMap(row => {
               const cols = Array.from(row.querySelectorAll(':scope > [data-testid=stColumn]'))
                 .map(c => Array.from(c.querySelectorAll('[data-testid=stMetricValue]'))
                             .filter(v => v.closest('[data-testid=stHorizontalBlock]') === row))
                 .filter(v => v.length > 0);
               if (cols.length < 2 || cols.some(v => v.length !== cols[0].length)) return [];
               return cols[0].map((_, k) => cols.map(v => v[k])); })
             .filter(vals => {
               const tops = vals.filter(v => v.offsetParent).map(v => v.getBoundingClientRect().top);
               return tops.length > 1 && Math.max(...tops) - Math.min(...tops) > slack; })
             .map(vals => vals.map(v => v.textContent.trim().slice(0, 20)))""",
        slack_px,
    )


def overlapping_titles(page) -> list[list[str]]:
    """Pairs of texts that overlap in a plotly chart (its annotations, such as subplot titles, its
    title and its x-axis titles), and titles that run past the chart's right edge."""
    return page.evaluate(
        """() => {
          const out = [];
          for (const el of document.querySelectorAll('.js-plotly-plot')) {
            const texts = 'text.annotation-text, .g-gtitle text, [class^="g-x"][class$="title"] text';
            const boxes = Array.from(el.querySelectorAll(texts))
              .map(a => [a.textContent, a.getBoundingClientRect()]).filter(([t, r]) => t && r.width > 0);
            for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
              const [ta, a] = boxes[i], [tb, b] = boxes[j];
              const apart = a.right - 1 <= b.left || b.right - 1 <= a.left
                            || a.bottom - 1 <= b.top || b.bottom - 1 <= a.top;
              if (!apart) out.push([ta.slice(0, 40), tb.slice(0, 40)]);
            }
            // an axis title that lies over a plot area (another panel's, in a narrow figure)
            const areas = Array.from(el.querySelectorAll('rect.nsewdrag'))
              .map(r => r.getBoundingClientRect());
            const axisTitles = '[class^="g-x"][class$="title"] text, [class^="g-y"][class$="title"] text';
            for (const at of el.querySelectorAll(axisTitles)) {
              const a = at.getBoundingClientRect();
              if (a.width > 0 && areas.some(b => a.left < b.right - 1 && b.left < a.right - 1
                                                 && a.top < b.bottom - 1 && b.top < a.bottom - 1))
                out.push([at.textContent.slice(0, 40), 'over a plot area']);
            }
            const svg = el.querySelector('svg.main-svg'), title = el.querySelector('.g-gtitle text');
            if (svg && title && title.getBoundingClientRect().right > svg.getBoundingClientRect().right + 1)
              out.push([title.textContent.slice(0, 40), 'cut at the right edge']);
          }
          return out;
        }"""
    )


def truncated_buttons(page) -> list[str]:
    """Button labels cut off with an ellipsis."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid=stMain] button .stMarkdownEllipsis'))
             .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 40))"""
    )


def trace_len(page, chart_key: str, name: str, xaxis: str | None = None) -> int:
    """Points in the plotly trace ``name`` of the chart with Streamlit key ``chart_key`` (-1: no chart)."""
    return page.evaluate(
        """([key, name, xaxis]) => {
            const el = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            if (!el || !el._fullData) return -1;
            let n = 0;
            for (const tr of el._fullData) {
              if (tr.name !== name) continue;
              if (xaxis !== null && (tr.xaxis || 'x') !== xaxis) continue;
              n = Math.max(n, (tr.x || []).length);
            }
            return n;
        }""",
        [chart_key, name, xaxis],
    )


def drawn_trace_len(
    page, chart_key: str, name: str, xaxis: str | None = None, timeout_ms: int = 30_000
) -> int:
    """``trace_len`` once the chart is drawn: an idle script does not mean plotly has drawn its charts
    yet (right after a page load, ``trace_len`` can still read -1)."""
    page.wait_for_function(
        "(key) => { const el = document.querySelector(`.st-key-${key} .js-plotly-plot`);"
        " return !!(el && el._fullData); }",
        arg=chart_key,
        polling=100,
        timeout=timeout_ms,
    )
    return trace_len(page, chart_key, name, xaxis)


def trace_xy(page, chart_key: str, name: str, xaxis: str) -> tuple[list, list]:
    return page.evaluate(
        """([key, name, xaxis]) => {
            const el = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            for (const tr of (el && el._fullData) || []) {
              if (tr.name === name && (tr.xaxis || 'x') === xaxis)
                return [Array.from(tr.x || []), Array.from(tr.y || [])];
            }
            return [[], []];
        }""",
        [chart_key, name, xaxis],
    )

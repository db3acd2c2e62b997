"""Classroom benchmark: ``.venv/bin/python -m benchmarks.classroom``.

How many students can play on Live training at once on one server? The app server is started the
way the e2e suite starts it (``tests/e2e/e2e_util.start_server``), with Streamlit's
disconnected-session TTL set short (``--server.disconnectedSessionTTL 10``, default 120 s) so that
memory can be checked after the class has left. Then, for 1, 4, 8 and 16 concurrent sessions, every
session opens ``/training?steps=5000`` (the most steps the page allows, so no run finishes during
the window), presses Play, plays for ``--warm`` seconds, and is measured for ``--window`` seconds.

A browser per student would load the 2 cores far more than the server does (headless Chromium draws
plotly in software), so most sessions are driven by a light client that speaks Streamlit's websocket
protocol as the browser's JavaScript does: ``BackMsg.rerun_script`` with the query string (and, for
Play, the button's trigger value), and for the ``run_every`` fragment a timer that sends a
fragment-scoped ``rerun_script`` with ``is_auto_rerun`` every ``interval`` seconds, started by the
server's ``ForwardMsg.auto_rerun`` and cleared by ``stop_auto_rerun`` or a full-app run, exactly
like the browser's ``setInterval``. One session per level (``--browsers``) is a real headless
Chromium page; its websocket frames are decoded too.

Reported per level:

- server tick: the interval between successive ``script_finished`` messages of fragment runs
  (``FINISHED_FRAGMENT_RUN_SUCCESSFULLY``) as the session receives them, i.e. how often the server
  trained and redrew that session; per session its median and its worst (a session whose last tick
  is older than the end of the window counts that open gap too);
- browser redraw: the interval between changes of the loss chart's trace length in the Chromium
  page (polled every 20 ms in the page);
- the server's CPU (% of one core, its process and children, averaged over the window) and RSS
  (peak during the window), the machine's total CPU, the Chromium processes' CPU;
- errors: exceptions shown by the app, compile errors, page-not-found, dropped connections, runs
  that finished or stopped during the window.

After the last level every session is closed and the server's RSS is followed until the TTL has
passed. Streamlit reaps expired sessions only on its next write to the session store (another
disconnect), as happens all the time in a real class: one probe session therefore opens and closes
the page after the TTL, as at the start (the "start" RSS is taken after the same warm-up, probe and
TTL). Requirements (issue 13): with 16 playing, every session gets a server tick at least every 3 s;
no errors; RSS back within 10 % of its start. The table is appended to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import os
import platform
import re
import signal
import statistics
import sys
import time
from pathlib import Path

import psutil
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))  # the e2e suite's harness: server start, Chromium flags
from e2e_util import CHROMIUM, CHROMIUM_ARGS, IDLE, start_server  # noqa: E402

LEVELS = (1, 4, 8, 16)
PAGE = "training"
STEPS = 5000  # the largest `steps` the page accepts: no run finishes within a level
PLAY_KEY = "train_play"
TTL_S = 10
TARGET_GAP_S = 3.0
TARGET_RSS = 0.10
STATUS_RE = re.compile(r"step (\d+) / (\d+)")
FRAGMENT_DONE = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
APP_DONE = ForwardMsg.FINISHED_SUCCESSFULLY


# --------------------------------------------------------------------------------------------
# what a session receives


class Inbox:
    """Decodes the ForwardMsgs one session receives and keeps what the benchmark needs."""

    def __init__(self, query: str = "", has_cache: bool = False) -> None:
        self.has_cache = has_cache  # a browser announces its message cache: references are normal
        self.query = query  # the URL's query string, as the browser's address bar holds it
        self.page_hash = ""
        self.play_id: str | None = None
        self.play_disabled = True
        self.ticks: list[float] = []  # when a fragment run's status caption showed new steps (a tick)
        self.in_fragment = False
        self.last_step = -1
        self.fragment_runs = 0
        self.steps: list[tuple[float, int, int]] = []  # (time, step, steps) from the status captions
        self.errors: list[str] = []
        self.app_runs = 0
        self.early = 0  # runs that ended early for a rerun
        self.bytes = 0
        self.app_done = asyncio.Event()
        self.on_auto_rerun = None  # (fragment_id, interval) -> None
        self.on_stop_auto_rerun = None  # (fragment_ids or None for all) -> None

    def feed(self, data: bytes, now: float) -> None:
        self.bytes += len(data)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.in_fragment = bool(msg.metadata.run.fragment_ids)
            if not msg.metadata.run.fragment_ids and self.on_stop_auto_rerun:
                self.on_stop_auto_rerun(None)  # a full-app run clears every timer (cleanupAutoReruns)
        elif kind == "navigation":  # st.navigation: the page now shown (the browser's currentPageScriptHash)
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":  # the server rewrote the URL's query (widgets bound to it)
            self.query = msg.page_info_changed.query_string
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            what = el.WhichOneof("type")
            if what == "button" and el.button.id.endswith(PLAY_KEY):
                self.play_id, self.play_disabled = el.button.id, el.button.disabled
            elif what == "exception":
                self.errors.append(f"exception: {el.exception.type}: {el.exception.message[:200]}")
            elif what == "markdown":
                m = STATUS_RE.search(el.markdown.body)
                if m:
                    step = int(m.group(1))
                    if self.in_fragment and step > self.last_step:
                        self.ticks.append(now)  # the server trained and redrew this session
                    self.last_step = max(self.last_step, step)
                    self.steps.append((now, step, int(m.group(2))))
        elif kind == "script_finished":
            status = msg.script_finished
            if status == FRAGMENT_DONE:
                self.fragment_runs += 1
            elif status == APP_DONE:
                self.app_runs += 1
                self.app_done.set()
            elif status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self.early += 1
            else:
                self.errors.append("script compile error")
        elif kind == "auto_rerun" and self.on_auto_rerun:
            self.on_auto_rerun(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun" and self.on_stop_auto_rerun:
            self.on_stop_auto_rerun(list(msg.stop_auto_rerun.fragment_ids))
        elif kind == "page_not_found":
            self.errors.append("page not found")
        elif (
            kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception"
        ):
            self.errors.append("script compilation exception")
        elif kind == "ref_hash" and not self.has_cache:
            self.errors.append("cached-message reference (the client announced no cache)")


# --------------------------------------------------------------------------------------------
# the light client: Streamlit's websocket protocol


class WsSession:
    """One student, spoken for in Streamlit's websocket protocol as the browser's JavaScript does."""

    def __init__(self, base_url: str, query: str) -> None:
        self.url = base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self.inbox = Inbox(query)
        self.inbox.on_auto_rerun = self._start_timer
        self.inbox.on_stop_auto_rerun = self._stop_timers
        self.timers: dict[str, tuple[float, asyncio.Task]] = {}
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.closing = False

    async def open(self, timeout: float = 120.0) -> None:
        # No proxy, no websocket-level pings (the browser sends none either); deflate as browsers offer.
        self.ws = await connect(
            self.url, subprotocols=["streamlit"], max_size=None, proxy=None, ping_interval=None
        )
        self.reader = asyncio.create_task(self._read())
        await self._send(self._rerun())
        await asyncio.wait_for(self.inbox.app_done.wait(), timeout)
        if self.inbox.play_id is None:
            raise RuntimeError(f"no Play button on /{PAGE}: {self.inbox.errors}")

    async def play(self, timeout: float = 120.0) -> None:
        self.inbox.app_done.clear()
        await self._send(self._rerun([WidgetState(id=self.inbox.play_id, trigger_value=True)]))
        await asyncio.wait_for(self.inbox.app_done.wait(), timeout)

    async def wait_playing(self, timeout: float = 120.0) -> int:
        """Wait for the first tick after Play; returns how often Play had to be pressed again (0)."""
        await asyncio.wait_for(_first_tick(self.inbox), timeout)
        return 0

    async def close(self) -> None:
        self.closing = True
        self._stop_timers(None)
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)

    def _rerun(self, widgets=(), fragment_id: str = "", auto: bool = False) -> BackMsg:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.inbox.query
        cs.page_script_hash = self.inbox.page_hash
        if not self.inbox.page_hash:
            cs.page_name = PAGE  # the first run: the page is found from the URL path, as in a browser
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        cs.widget_states.widgets.extend(widgets)
        return msg

    async def _send(self, msg: BackMsg) -> None:
        try:
            await self.ws.send(msg.SerializeToString())
        except ConnectionClosed as e:
            if not self.closing:
                self.inbox.errors.append(f"connection closed on send: {e}")

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                self.inbox.feed(data, time.monotonic())
        except ConnectionClosed as e:
            if not self.closing:
                self.inbox.errors.append(f"connection closed: {e}")

    def _start_timer(self, fragment_id: str, interval: float) -> None:
        old = self.timers.get(fragment_id)
        if old is not None and old[0] == interval:
            return  # the browser keeps a running interval of the same length
        self._stop_timers([fragment_id])
        self.timers[fragment_id] = (interval, asyncio.create_task(self._every(fragment_id, interval)))

    def _stop_timers(self, fragment_ids: list[str] | None) -> None:
        for fid in list(self.timers) if fragment_ids is None else fragment_ids:
            entry = self.timers.pop(fid, None)
            if entry is not None:
                entry[1].cancel()

    async def _every(self, fragment_id: str, interval: float) -> None:
        """``setInterval``: a fixed-rate timer, whether or not the previous tick has finished."""
        t0 = time.monotonic()
        k = 0
        while not self.closing:
            k += 1
            await asyncio.sleep(max(0.0, t0 + k * interval - time.monotonic()))
            await self._send(self._rerun(fragment_id=fragment_id, auto=True))


# --------------------------------------------------------------------------------------------
# the real browser


# Records, in the page, every change of the loss chart's trace length (a redraw with new points).
_WATCH_JS = """
() => {
  window.__redraws = [];
  let last = -1;
  const len = () => {
    const el = document.querySelector('.st-key-fig_live_curves .js-plotly-plot');
    if (!el || !el._fullData) return -1;
    let n = 0;
    for (const tr of el._fullData) {
      if ((tr.xaxis || 'x') !== 'x') continue;
      n = Math.max(n, tr._length ?? (tr.x ? tr.x.length : 0) ?? 0);
    }
    return n;
  };
  window.__redrawTimer = setInterval(() => {
    const n = len();
    if (n !== last) { window.__redraws.push(performance.now()); last = n; }
  }, 20);
}
"""


async def _first_tick(inbox: Inbox) -> None:
    while not inbox.ticks:
        await asyncio.sleep(0.05)


class BrowserSession:
    """A headless Chromium page on the same page; its websocket frames are decoded as well."""

    def __init__(self, browser, base_url: str, query: str) -> None:
        self.browser, self.url = browser, f"{base_url}/{PAGE}?{query}"
        self.inbox = Inbox(query, has_cache=True)
        self.ctx = self.page = None

    async def open(self) -> None:
        self.ctx = await self.browser.new_context(viewport={"width": 1400, "height": 1000})
        self.ctx.set_default_timeout(120_000)
        self.page = await self.ctx.new_page()

        def on_ws(ws) -> None:
            if ws.url.endswith("/_stcore/stream"):
                ws.on("framereceived", self._frame)

        self.page.on("websocket", on_ws)
        await self.page.goto(self.url, wait_until="domcontentloaded")
        await self.page.wait_for_selector(IDLE, state="attached")
        await self.page.wait_for_selector(f".st-key-{PLAY_KEY} button:not([disabled])")
        await self.page.evaluate(_WATCH_JS)

    def _frame(self, payload) -> None:
        if isinstance(payload, bytes | bytearray):
            self.inbox.feed(bytes(payload), time.monotonic())

    async def play(self) -> None:
        await self.page.click(f".st-key-{PLAY_KEY} button")

    async def wait_playing(self, timeout: float = 120.0, retry_s: float = 20.0) -> int:
        """Wait for the first tick after Play; press Play again (if it is still enabled) when none
        came within ``retry_s`` (a click that landed while the page was busy); returns the presses."""
        t_end, again = time.monotonic() + timeout, 0
        while True:
            try:
                await asyncio.wait_for(_first_tick(self.inbox), retry_s)
                return again
            except TimeoutError:
                if time.monotonic() > t_end:
                    raise
                button = self.page.locator(f".st-key-{PLAY_KEY} button")
                if await button.is_enabled():
                    await button.click()
                    again += 1

    async def now_ms(self) -> float:
        return await self.page.evaluate("performance.now()")

    async def redraws(self) -> list[float]:
        errors = await self.page.locator("[data-testid=stException]").count()
        if errors:
            self.inbox.errors.append(f"the page shows {errors} exception(s)")
        return await self.page.evaluate("window.__redraws")

    async def close(self) -> None:
        if self.ctx is not None:
            await self.ctx.close()


# --------------------------------------------------------------------------------------------
# numbers


def gaps_in(times: list[float], t0: float, t1: float) -> list[float]:
    """Intervals between successive events that end in (t0, t1], plus the open gap from the last
    event to t1 (a lower bound of the next interval, so that a session starved at the end counts)."""
    ev = sorted(times)
    out = [b - a for a, b in zip(ev, ev[1:], strict=False) if t0 < b <= t1]
    before = [x for x in ev if x <= t1]
    out.append(t1 - before[-1] if before else t1 - t0)
    return out


def tick_stats(inbox: Inbox, t0: float, t1: float) -> dict:
    ticks = [x for x in inbox.ticks if x <= t1]
    inside = [x for x in ticks if x > t0]
    between = [b - a for a, b in zip(ticks, ticks[1:], strict=False) if t0 < b <= t1]
    gaps = gaps_in(ticks, t0, t1)
    steps = [(t, s, n) for t, s, n in inbox.steps if t0 <= t <= t1]
    rate = (steps[-1][1] - steps[0][1]) / (steps[-1][0] - steps[0][0]) if len(steps) > 1 else 0.0
    done = any(s >= n for _, s, n in steps)
    return {
        "ticks": len(inside),
        "median": statistics.median(between) if between else float("nan"),
        "worst": max(gaps) if gaps else t1 - t0,
        "steps_per_s": rate,
        "done": done,
    }


class CpuMeter:
    """CPU seconds of a process tree (per pid, so that children that come and go are counted)."""

    def __init__(self, pids_fn) -> None:
        self.pids_fn = pids_fn
        self.seen: dict[int, float] = {}

    def total(self) -> float:
        for p in self.pids_fn():
            try:
                t = p.cpu_times()
                self.seen[p.pid] = t.user + t.system
            except psutil.Error:
                pass
        return sum(self.seen.values())


def tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return [proc]


def _busy(ct) -> float:
    """CPU seconds the whole machine has been busy (all cores)."""
    return (
        ct.user
        + ct.nice
        + ct.system
        + getattr(ct, "irq", 0)
        + getattr(ct, "softirq", 0)
        + getattr(ct, "steal", 0)
    )


def rss_mb(proc: psutil.Process) -> float:
    return sum(_rss(p) for p in tree(proc)) / 2**20


def _rss(p: psutil.Process) -> int:
    try:
        return p.memory_info().rss
    except psutil.Error:
        return 0


# --------------------------------------------------------------------------------------------
# the run


async def run_level(n: int, n_browsers: int, url: str, query: str, browser, server, args) -> dict:
    me = psutil.Process()
    srv = psutil.Process(server.pid)
    srv_cpu = CpuMeter(lambda: tree(srv))
    srv_pids = {p.pid for p in tree(srv)}
    chrome_cpu = CpuMeter(lambda: [p for p in tree(me)[1:] if p.pid not in srv_pids and p.pid != srv.pid])
    me_cpu = CpuMeter(lambda: [me])
    nb = min(n_browsers, n) if browser is not None else 0
    browsers = [BrowserSession(browser, url, query) for _ in range(nb)]
    clients = [WsSession(url, query) for _ in range(n - nb)]
    sessions = browsers + clients
    t_open = time.monotonic()
    try:
        # Students arrive together: every session opens the page at once. A session that cannot
        # open, or does not start playing, within its timeout is an error and is not measured.
        failed: list[str] = []

        async def arrive(s) -> None:
            await s.open()
            await s.play()

        for what, coro in (("open and play", arrive), ("first tick after Play", None)):
            res = await asyncio.gather(
                *((coro(s) if coro else s.wait_playing()) for s in sessions), return_exceptions=True
            )
            for s, r in zip(list(sessions), res, strict=True):
                if isinstance(r, BaseException):
                    failed.append(f"{what}: {type(r).__name__} {r}".strip())
                    sessions.remove(s)
                    await s.close()
            if coro:
                open_s = time.monotonic() - t_open
            else:
                replays = sum(r for r in res if isinstance(r, int))
        browsers = [b for b in browsers if b in sessions]
        await asyncio.sleep(args.warm)
        t0 = time.monotonic()
        b0 = [await b.now_ms() for b in browsers]
        c0 = (srv_cpu.total(), chrome_cpu.total(), me_cpu.total())
        m0 = _busy(psutil.cpu_times())
        rss_peak, samples, lag = 0.0, [(t0, c0[0], m0)], 0.0
        while time.monotonic() - t0 < args.window:
            t_wake = time.monotonic() + 0.5
            await asyncio.sleep(0.5)
            now = time.monotonic()
            lag = max(lag, now - t_wake)  # this client's own event loop: late wake-ups delay its timers
            samples.append((now, srv_cpu.total(), _busy(psutil.cpu_times())))
            rss_peak = max(rss_peak, rss_mb(srv))
        t1 = time.monotonic()
        machine_pct = 100 * (_busy(psutil.cpu_times()) - m0) / (t1 - t0)
        c1 = (srv_cpu.total(), chrome_cpu.total(), me_cpu.total())
        b1 = [await b.now_ms() for b in browsers]
        redraws = [await b.redraws() for b in browsers]
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    wall = t1 - t0
    per = [tick_stats(s.inbox, t0, t1) for s in sessions]
    views = []
    for r, lo, hi in zip(redraws, b0, b1, strict=True):
        between = [b - a for a, b in zip(r, r[1:], strict=False) if lo < b <= hi]
        gaps = gaps_in(r, lo, hi)
        views.append(
            {
                "median": statistics.median(between) / 1000 if between else float("nan"),
                "worst": max(gaps) / 1000,
                "redraws": sum(lo < x <= hi for x in r),
            }
        )
    # The longest time in which no session ticked at all, and what the server and machine did meanwhile.
    all_ticks = sorted([t0, t1, *(x for s in sessions for x in s.inbox.ticks if t0 < x < t1)])
    a, b = max(zip(all_ticks, all_ticks[1:], strict=False), key=lambda ab: ab[1] - ab[0])
    inside = [x for x in samples if a - 0.5 <= x[0] <= b + 0.5]
    stall = {"s": b - a, "server_pct": float("nan"), "machine_pct": float("nan")}
    if len(inside) > 1:
        dt_ = inside[-1][0] - inside[0][0]
        stall["server_pct"] = 100 * (inside[-1][1] - inside[0][1]) / dt_
        stall["machine_pct"] = 100 * (inside[-1][2] - inside[0][2]) / dt_
    errors = failed + [e for s in sessions for e in s.inbox.errors]
    errors += [f"session {i}: its run finished in the window" for i, p in enumerate(per) if p["done"]]
    return {
        "n": n,
        "browsers": len(browsers),
        "open_s": open_s,
        "wall": wall,
        "sessions": per,
        "views": views,
        "server_cpu_pct": 100 * (c1[0] - c0[0]) / wall,
        "cpu_per_tick": (c1[0] - c0[0]) / max(sum(p["ticks"] for p in per), 1),
        "chrome_cpu_pct": 100 * (c1[1] - c0[1]) / wall,
        "client_cpu_pct": 100 * (c1[2] - c0[2]) / wall,
        "machine_pct": machine_pct,
        "stall": stall,
        "client_lag_s": lag,
        "replays": replays,
        "rss_peak": rss_peak,
        "rss_end": rss_mb(srv),
        "errors": errors,
        "early": sum(s.inbox.early for s in sessions),
        "mb_per_s": sum(s.inbox.bytes for s in sessions) / 2**20 / max(time.monotonic() - t_open, 1e-9),
    }


async def probe(url: str, query: str, play_s: float = 0.0) -> list[str]:
    """Open the page in one light session (optionally play), then close it: a disconnect, which is
    when Streamlit writes its session store and reaps sessions whose TTL has passed."""
    s = WsSession(url, query)
    try:
        await s.open()
        if play_s:
            await s.play()
            await asyncio.sleep(play_s)
    finally:
        await s.close()
    return s.inbox.errors


async def settle_rss(server, url: str, query: str, ttl: float) -> tuple[float, list[str]]:
    """After every session has closed: wait out the TTL, let a probe session come and go (which
    reaps the expired sessions), wait 3 s, and return the server's RSS (MB)."""
    await asyncio.sleep(ttl + 1)
    errors = await probe(url, query)
    await asyncio.sleep(3)
    return rss_mb(psutil.Process(server.pid)), errors


async def settle(server, quiet_s: float = 3.0, limit_s: float = 300.0) -> float:
    """Wait until the server has used < 5 % of a core for ``quiet_s`` (its start-up warm-up of the
    default studies has finished, as it has on a server started before the class); seconds waited."""
    cpu = CpuMeter(lambda: tree(psutil.Process(server.pid)))
    t0 = time.monotonic()
    last, since = cpu.total(), time.monotonic()
    while time.monotonic() - t0 < limit_s:
        await asyncio.sleep(0.5)
        now = cpu.total()
        if now - last > 0.05 * 0.5:
            since = time.monotonic()
        last = now
        if time.monotonic() - since >= quiet_s:
            break
    return time.monotonic() - t0


async def bench(args) -> dict:
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"hra-viz-classroom-{os.getpid()}.log"
    flags = dict(kv.split("=", 1) for kv in args.option)
    server = start_server(
        ROOT / ".cache" / "hra_viz", log, server_disconnectedSessionTTL=str(args.ttl), **flags
    )
    query = f"steps={STEPS}"
    out: dict = {"levels": [], "log": str(log)}
    pw = browser = None
    try:
        srv = psutil.Process(server.pid)
        out["settle_s"] = await settle(server)
        out["rss_bare"] = rss_mb(srv)
        if args.browsers:
            from playwright.async_api import async_playwright

            pw = await async_playwright().start()
            browser = await pw.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
        # Warm-up: imports, the base model, plotly in Chromium; then the same settling as at the end.
        out["errors_warm"] = await probe(server.url, query, play_s=3.0)
        if browser is not None:
            b = BrowserSession(browser, server.url, query)
            try:
                await b.open()
            finally:
                await b.close()
        out["rss_start"], e = await settle_rss(server, server.url, query, args.ttl)
        out["errors_warm"] += e
        print(f"RSS: bare {out['rss_bare']:.0f} MB, start {out['rss_start']:.0f} MB", flush=True)
        for n in args.levels:
            res = await run_level(n, args.browsers, server.url, query, browser, server, args)
            out["levels"].append(res)
            print(summary_line(res), flush=True)
        # Everybody has gone home: follow the RSS until the TTL has passed, then settle as at the start.
        t_close = time.monotonic()
        trail = []
        while time.monotonic() - t_close < args.ttl + 1:
            trail.append(rss_mb(srv))
            await asyncio.sleep(1.0)
        out["rss_after_ttl"] = trail[-1]
        out["rss_end"], e = await settle_rss(server, server.url, query, 0)
        out["errors_end"] = e
        print(
            f"RSS after TTL {out['rss_after_ttl']:.0f} MB, after the probe {out['rss_end']:.0f} MB",
            flush=True,
        )
        text = log.read_text(errors="replace")
        out["tracebacks"] = text.count("Traceback (most recent call last)")
        kinds = re.findall(r"^([A-Za-z_][\w.]*(?:Error|Exception|Disconnected)): ", text, flags=re.M)
        out["traceback_kinds"] = sorted(set(kinds))
    finally:
        if browser is not None:
            await browser.close()
        if pw is not None:
            await pw.stop()
        server.stop()
    return out


# --------------------------------------------------------------------------------------------
# report


def _f(x: float) -> str:
    return "–" if x != x else f"{x:.2f}"


def summary_line(r: dict) -> str:
    med = [s["median"] for s in r["sessions"]]
    worst = [s["worst"] for s in r["sessions"]]
    views = ", ".join(f"{_f(v['median'])}/{_f(v['worst'])}" for v in r["views"]) or "–"
    return (
        f"n={r['n']:2d}: tick median {_f(statistics.median(med))} s, worst {_f(max(worst))} s; "
        f"browser redraw {views}; "
        f"server {r['server_cpu_pct']:.0f} % of a core ({r['cpu_per_tick']:.3f} CPU-s per tick), "
        f"RSS {r['rss_peak']:.0f} MB; "
        f"chromium {r['chrome_cpu_pct']:.0f} %, client {r['client_cpu_pct']:.0f} %, "
        f"machine {r['machine_pct']:.0f} %; longest time with no tick in any session "
        f"{r['stall']['s']:.2f} s (server {r['stall']['server_pct']:.0f} %, machine "
        f"{r['stall']['machine_pct']:.0f} % meanwhile); client loop lag {r['client_lag_s']:.2f} s; "
        f"Play pressed again {r['replays']}; errors {len(r['errors'])} {sorted(set(r['errors']))[:3]}"
    )


def machine() -> str:
    import torch

    cpu = ""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.platform()}; CPU: {cpu or platform.processor()} × {os.cpu_count()}; "
        f"torch {torch.__version__}; python {platform.python_version()}"
    )


def report(out: dict, args, mach: str, load0: str, cmd: str) -> str:
    ok = lambda b: "✅" if b else "❌"  # noqa: E731
    lines = [
        "| sessions (Chromium + light) | server tick, median of the sessions' medians (s) "
        "| sessions' medians, range (s) | worst server tick, any session (s) | ≤ 3 s "
        "| browser redraw median / worst (s) | steps/s per session, median "
        "| server CPU (% of a core) | server CPU-s per tick | server RSS, peak (MB) | Chromium CPU (%) "
        "| machine CPU (% of 2 cores) | errors |",
        "|---|---:|---|---:|:-:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in out["levels"]:
        med = [s["median"] for s in r["sessions"]]
        worst = max(s["worst"] for s in r["sessions"])
        views = ", ".join(f"{_f(v['median'])} / {_f(v['worst'])}" for v in r["views"]) or "–"
        rate = statistics.median(s["steps_per_s"] for s in r["sessions"])
        lines.append(
            f"| {r['n']} ({r['browsers']} + {r['n'] - r['browsers']}) | {_f(statistics.median(med))} "
            f"| {_f(min(med))}–{_f(max(med))} | {_f(worst)} | {ok(worst <= TARGET_GAP_S)} | {views} "
            f"| {rate:.0f} | {r['server_cpu_pct']:.0f} | {r['cpu_per_tick']:.3f} | {r['rss_peak']:.0f} "
            f"| {r['chrome_cpu_pct']:.0f} | {r['machine_pct'] / 2:.0f} | {len(r['errors'])} |"
        )
    start, end = out["rss_start"], out["rss_end"]
    back = abs(end - start) <= TARGET_RSS * start
    lines += [
        "",
        "| memory | RSS (MB) |",
        "|---|---:|",
        f"| server started and idle ({out['settle_s']:.0f} s: its warm-up of the default studies), "
        f"nothing opened | {out['rss_bare']:.0f} |",
        f"| start: after a warm-up session, its TTL and a probe session | {start:.0f} |",
        f"| all sessions closed, {args.ttl} s TTL passed (no reaping yet) | {out['rss_after_ttl']:.0f} |",
        f"| end: then a probe session came and went (reaps expired sessions) | {end:.0f} |",
        f"| end ÷ start | {end / start:.3f} {ok(back)} (within ±{TARGET_RSS:.0%}) |",
    ]
    detail = ["", "Each session's median / worst server tick (s), Chromium first:", ""]
    for r in out["levels"]:
        pairs = " · ".join(f"{_f(s['median'])}/{_f(s['worst'])}" for s in r["sessions"])
        detail.append(
            f"- {r['n']}: {pairs}; page load with all arriving at once {r['open_s']:.1f} s; "
            f"runs ended early for a rerun: {r['early']}; longest time with no tick in any session "
            f"{r['stall']['s']:.2f} s (server {r['stall']['server_pct']:.0f} % of a core, machine "
            f"{r['stall']['machine_pct']:.0f} % of one core meanwhile); this client's loop lag "
            f"{r['client_lag_s']:.2f} s; Play pressed again: {r['replays']}"
        )
    errs = [e for r in out["levels"] for e in r["errors"]] + out["errors_warm"] + out["errors_end"]
    detail.append(
        f"- errors: {len(errs)}{(' — ' + '; '.join(sorted(set(errs)))[:500]) if errs else ''}; "
        f"tracebacks in the server log: {out['tracebacks']} {', '.join(out['traceback_kinds'])}"
    )
    extra_flags = "".join(
        f", `--{k.replace('_', '.')} {v}`" for k, v in (o.split("=", 1) for o in args.option)
    )
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    load1 = " ".join(f"{x:.2f}" for x in os.getloadavg())
    head = (
        f"\n## Classroom: concurrent sessions playing on Live training ({stamp})\n\n"
        f"- command: `{cmd}`\n- machine: {mach}; load average at start {load0}, at the end {load1} "
        "(the machine is shared: other work inflates every number)\n"
        f"- server: `serve.py` as in the e2e suite (watcher off) with `--server.disconnectedSessionTTL "
        f"{args.ttl}` (default 120 s) and `.streamlit/config.toml` (`runner.postScriptGC = false`)"
        f"{extra_flags}; "
        f"`/training?steps={STEPS}`, default methods (HRA + LoRA); "
        f"each level plays {args.warm:g} s, then is measured for {args.window:g} s; "
        f"{args.browsers} session(s) per level in headless Chromium, the rest light websocket clients "
        "(`benchmarks/classroom.py`); Chromium shares the 2 cores with the server\n\n"
    )
    return head + "\n".join(lines + detail) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.classroom", description=__doc__.splitlines()[0])
    ap.add_argument("--levels", type=int, nargs="+", default=list(LEVELS))
    ap.add_argument("--window", type=float, default=30.0, help="seconds measured per level")
    ap.add_argument("--warm", type=float, default=5.0, help="seconds played before the window")
    ap.add_argument("--browsers", type=int, default=1, help="Chromium sessions per level (0: none)")
    ap.add_argument("--ttl", type=int, default=TTL_S, help="server.disconnectedSessionTTL (s)")
    ap.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE",
        help="a Streamlit option for the server, '_' for '.' (e.g. runner_postScriptGC=true)",
    )  # fmt: skip
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops server and browser
    mach, load0 = machine(), " ".join(f"{x:.2f}" for x in os.getloadavg())
    gc.collect()
    out = asyncio.run(bench(args))
    extra = " ".join(argv if argv is not None else sys.argv[1:])
    cmd = f".venv/bin/python -m benchmarks.classroom {extra}".strip()
    text = report(out, args, mach, load0, cmd)
    print(text)
    if not args.no_write:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Real-browser timings of the app: ``.venv/bin/python -m benchmarks.browser``.

Starts the app the way Streamlit's own e2e suite does (a free port, headless, file watcher off,
usage stats off, ``/_stcore/health`` polled), warms it (every page opened once, so base models and
``st.cache_data`` are filled), then in headless Debian Chromium measures, in a fresh browser session
per measurement:

- for every page (English): navigation start → ``[data-testid=stApp][data-test-script-state=notRunning]``,
  connected, nothing stale, no loading skeleton left (Streamlit loads the code of buttons, metrics
  and charts lazily and shows ``stSkeleton`` meanwhile), and every plotly chart drawn
  (``.js-plotly-plot`` with its ``.main-svg``), the state holding for 300 ms (so a rerun right
  after the first run is caught); the time reported is when that final stable state began, from
  ``performance.now()`` (its origin is navigation start);
- the same "interactive" state when a user moves through the app in one session: each page's
  sidebar link clicked in turn, timed from the click (plotly's JavaScript is then loaded once per
  session, as in real use, instead of once per measurement);
- on Live training: clicking Play → the first new point of the loss trace (the chart's decoded
  ``_fullData``, polled every 20 ms in the page), then the longest gap between successive redraws of
  that chart while playing for about 5 s (the fragment's timer is 0.4 s, so 0.4 s is the floor).

Side by side in the same run, a second server serves a minimal Streamlit page (a title and one
small plotly chart): every page's fresh-session time is also reported as a ratio to that page's,
measured interleaved (issue 13: each page ≤ 1.5× the minimal page).

``--trace`` records instead one Chromium performance trace per page (and the minimal page), opened
in a fresh session on the same warm server, and summarises where the browser's time goes until ready
(``benchmarks/chrome_trace.py``: main thread by kind, other threads, JS self time per script and the
top JS functions from V8's sampling profiler); the summary table goes to ``RESULTS.md``.

``--serving`` measures instead what a server costs: the server's CPU-seconds per fresh visit of each
page (until the server is idle again) and its idle CPU, with Streamlit's file watcher on (the old
``make run``: ``fileWatcherType auto`` with ``.venv`` inside the watched folder) and off (the
``.streamlit/config.toml`` that ``make run`` now reads).

Each number is the median of ``--repeats`` (3) runs. The table is printed and appended to
``benchmarks/RESULTS.md`` with the date, machine and command. Targets (issue 4): each page
interactive ≤ 2 s on a warm server, first point ≤ 0.5 s after Play, no tick > 0.5 s.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import signal
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))  # the e2e suite's harness: server start, Chromium flags
from e2e_util import CHROMIUM, CHROMIUM_ARGS, app_pages, start_server  # noqa: E402

TARGET_PAGE_S, TARGET_FIRST_S, TARGET_TICK_S = 2.0, 0.5, 0.5
TARGET_RATIO = 1.5  # a fresh-session page ÷ the minimal page, same run (issue 13)
LIMIT_MS = 120_000  # a page not interactive by then is an error, not a number
PLAY_STEPS = 3000  # Live training runs long enough to watch ~5 s of ticks

# Resolves with performance.now() at the start of the final stable "interactive" state.
_INTERACTIVE_JS = """
([holdMs, oldTitle, limitMs]) => new Promise((resolve, reject) => {
  let since = null;
  const start = performance.now();
  const ok = () => {
    const app = document.querySelector('[data-testid=stApp]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const h1 = document.querySelector('[data-testid=stMain] h1');
    if (oldTitle !== null && (!h1 || h1.innerText === oldTitle)) return false;  // still the old page
    if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
    const main = document.querySelector('[data-testid=stMain]');
    if (!main || !main.querySelector('h1')) return false;
    if (document.querySelector('[data-stale=true]')) return false;
    // lazily loaded elements (buttons, metrics, charts) show a skeleton until their code has arrived
    if (document.querySelector('[data-testid^=stSkeleton], [data-testid=stAppSkeleton]')) return false;
    const charts = document.querySelectorAll('[data-testid=stPlotlyChart]');
    for (const c of charts) {
      const el = c.querySelector('.js-plotly-plot');
      if (!el || !el._fullLayout || !el.querySelector('.main-svg')) return false;
    }
    return true;
  };
  const poll = () => {
    const now = performance.now();
    if (ok()) {
      if (since === null) since = now;
      if (now - since >= holdMs) { resolve(since); return; }
    } else {
      since = null;
    }
    if (now - start > limitMs) {
      const app = document.querySelector('[data-testid=stApp]');
      const charts = document.querySelectorAll('[data-testid=stPlotlyChart]').length;
      const sk = document.querySelectorAll('[data-testid^=stSkeleton], [data-testid=stAppSkeleton]').length;
      const state = app && app.getAttribute('data-test-script-state');
      const title = (document.querySelector('h1') || {}).innerText;
      reject(new Error(`not interactive after ${limitMs} ms: script ${state}, `
        + `${charts} charts, ${sk} skeletons, title ${title}`));
      return;
    }
    setTimeout(poll, 20);
  };
  poll();
})
"""

# Clicks Play, then polls the loss chart's trace length every 20 ms for ``watchMs``.
_PLAY_JS = """
([key, watchMs]) => new Promise((resolve) => {
  const len = () => {
    const el = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    if (!el || !el._fullData) return -1;
    let n = 0;
    // _fullData: plotly's decoded traces (``data`` may hold base64 typed arrays, which have no length)
    for (const tr of el._fullData) {
      if ((tr.xaxis || 'x') !== 'x') continue;
      n = Math.max(n, tr._length ?? (tr.x ? tr.x.length : 0) ?? 0);
    }
    return n;
  };
  const btn = document.querySelector('.st-key-train_play button');
  const n0 = len();
  const t0 = performance.now();
  btn.click();
  let last = n0, first = null;
  const changes = [];
  const poll = () => {
    const now = performance.now();
    const n = len();
    if (n > last) {
      if (first === null) first = now - t0;
      changes.push(now);
      last = n;
    }
    if (now - t0 < watchMs) { setTimeout(poll, 20); return; }
    let gap = 0;
    for (let i = 1; i < changes.length; i++) gap = Math.max(gap, changes[i] - changes[i - 1]);
    resolve({n0, n: last, first, redraws: changes.length, maxGap: gap});
  };
  poll();
})
"""


def page_paths() -> list[str]:
    """Each page's url path from app.py; "" for the default page (served at / only)."""
    return [path for _, path in app_pages()]


def _new_page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(90_000)
    return ctx, ctx.new_page()


def interactive_s(browser, url: str) -> float:
    """Seconds from navigation start to interactive (see the module docstring), in a fresh session."""
    ctx, page = _new_page(browser)
    try:
        page.goto(url, wait_until="commit")
        t = page.evaluate(_INTERACTIVE_JS, [300, None, LIMIT_MS])
        errors = page.locator("[data-testid=stException]").count()
        if errors:
            raise RuntimeError(f"{url}: the page shows {errors} exception(s)")
        return t / 1000
    finally:
        ctx.close()


def navigation_s(browser, url: str, paths: list[str]) -> dict[str, float]:
    """In one session, as a user moves through the app: click each page's sidebar link in turn and
    time click → interactive. Plotly's JavaScript is loaded once per session, not per page."""
    ctx, page = _new_page(browser)
    out = {}
    others = [q for q in paths if q]
    # start on the home page, which is reached last; timing the home page alone starts on another one
    # (a click on the page already open changes no title, so it would never count as arrived)
    start = "" if others else next(q for q in page_paths() if q)
    try:
        page.goto(f"{url}/{start}", wait_until="commit")
        page.evaluate(_INTERACTIVE_JS, [300, None, LIMIT_MS])
        for p in others + [""]:
            old = page.locator("[data-testid=stMain] h1").first.inner_text()
            link = page.locator(f"a[data-testid=stSidebarNavLink][href$='/{p}']")
            t0 = page.evaluate("performance.now()")
            link.first.click()
            out[p] = (page.evaluate(_INTERACTIVE_JS, [300, old, LIMIT_MS]) - t0) / 1000
        return out
    finally:
        ctx.close()


def play_timing(browser, url: str, watch_s: float, strict: bool = True) -> dict:
    """Open Live training, wait until interactive, click Play and watch the loss chart."""
    ctx, page = _new_page(browser)
    try:
        page.goto(url, wait_until="commit")
        page.evaluate(_INTERACTIVE_JS, [300, None, LIMIT_MS])
        res = page.evaluate(_PLAY_JS, ["fig_live_curves", watch_s * 1000])
        if res["first"] is None and strict:
            raise RuntimeError(f"no new point within {watch_s} s of Play: {res}")
        # stop training before the session ends
        page.evaluate(
            "() => { const b = document.querySelector('.st-key-train_pause button'); if (b) b.click(); }"
        )
        first = (res["first"] or float("nan")) / 1000
        return {"first_s": first, "max_gap_s": res["maxGap"] / 1000, "redraws": res["redraws"]}
    finally:
        ctx.close()


MINIMAL_PAGE = """
import plotly.graph_objects as go
import streamlit as st

st.title("Minimal page")
st.write("One title, one sentence and one small plotly chart: what any Streamlit page costs.")
st.plotly_chart(go.Figure(go.Scatter(y=[1, 3, 2, 4])), key="fig")
"""


def minimal_script(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "minimal_page.py"
    path.write_text(MINIMAL_PAGE, encoding="utf-8")
    return path


def settle(server, quiet_s: float = 2.0, limit_s: float = 60.0) -> float:
    """Wait until the server has used < 2 % of a core for ``quiet_s``; return the seconds waited."""
    import time

    t0 = time.monotonic()
    last, since = server.cpu_seconds(), time.monotonic()
    while time.monotonic() - t0 < limit_s:
        time.sleep(0.5)
        now = server.cpu_seconds()
        if now - last > 0.02 * 0.5:
            since = time.monotonic()
        last = now
        if time.monotonic() - since >= quiet_s:
            break
    return time.monotonic() - t0


SERVING_SETUPS = {  # name -> (file watcher on, import heap frozen out of gc)
    "before: watcher on": (True, False),
    "watcher off": (False, False),
    "now: watcher off, import heap frozen": (False, True),
}


def wait_warmup(server, limit_s: float = 600.0) -> float:
    """Seconds from now until the server's start-up warm-up (ui.studies) logs that it finished."""
    import time

    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        if "hra-viz warm-up: finished" in server.log.read_text(errors="replace"):
            return time.monotonic() - t0
        time.sleep(0.5)
    raise RuntimeError(f"warm-up not finished after {limit_s} s; see {server.log}")


def serving_cost(browser, paths: list[str], watch: bool, freeze: bool, log: Path, repeats: int) -> dict:
    """Server CPU-seconds per fresh visit of each page, and idle CPU, with the watcher on or off and
    the import heap frozen (serve.py) or not."""
    import time

    flags = {"server_fileWatcherType": "auto", "server_folderWatchBlacklist": "none-so-.venv-is-watched"}
    env = {"HRA_VIZ_GC_FREEZE": "1" if freeze else "0", "HRA_VIZ_WARM": "0"}  # no background study
    server = start_server(ROOT / ".cache" / "hra_viz", log, env_extra=env, **(flags if watch else {}))
    try:
        for p in paths:  # warm: imports, base models, caches
            interactive_s(browser, f"{server.url}/{p}")
        settle(server)
        per_page = {}
        for p in paths:
            costs = []
            for _ in range(repeats):
                c0 = server.cpu_seconds()
                interactive_s(browser, f"{server.url}/{p}")
                settle(server)
                costs.append(server.cpu_seconds() - c0)
            per_page[p] = costs
        c0, t0 = server.cpu_seconds(), time.monotonic()
        time.sleep(10)
        idle = (server.cpu_seconds() - c0) / (time.monotonic() - t0)
        return {"per_page": per_page, "idle_core_pct": 100 * idle}
    finally:
        server.stop()


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
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.platform()}; CPU: {cpu or platform.processor()} × {os.cpu_count()}; "
        f"torch {torch.__version__}; python {platform.python_version()}; load average at start {load}"
    )


@contextlib.contextmanager
def app_and_minimal(tag: str):
    """The app as `make run` serves it (default studies warmed at start-up) and a minimal Streamlit page
    beside it, in one run, and Chromium once the warm-up is done: yields (server, minimal, browser,
    warm-up seconds). Stops all of it on the way out, on SIGTERM too."""
    from playwright.sync_api import sync_playwright

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops server and browser
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"hra-viz-{tag}-{os.getpid()}.log"
    server = start_server(ROOT / ".cache" / "hra_viz", log, env_extra={"HRA_VIZ_WARM": "1"})  # as `make run`
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"hra-viz-minimal-{os.getpid()}"
    minimal = start_server(ROOT / ".cache" / "hra_viz", tmp / "server.log", script=minimal_script(tmp))
    pw = sync_playwright().start()
    browser = None
    try:
        warm_s = wait_warmup(server)  # the default studies, computed once at start-up
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield server, minimal, browser, warm_s
    finally:
        if browser is not None:
            browser.close()
        pw.stop()
        server.stop()
        minimal.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--watch", type=float, default=5.0, help="seconds of playing watched for ticks")
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    ap.add_argument("--pages", nargs="*", help="url paths to time (default: every page)")
    ap.add_argument("--serving", action="store_true", help="server CPU per visit, watcher on vs off")
    ap.add_argument("--trace", action="store_true", help="a Chromium performance trace per page, summarised")
    args = ap.parse_args(argv)
    if args.serving:
        return main_serving(args, argv)
    if args.trace:
        return main_trace(args, argv)

    paths = args.pages if args.pages is not None else page_paths()
    mach = machine()
    with app_and_minimal("bench") as (server, minimal, browser, warm_s):
        url, log = server.url, server.log
        print(f"  warm-up done {warm_s:.1f} s after the server was healthy", flush=True)
        # Warm: every page once (base models, cached results, first imports of each page script).
        for p in paths:
            interactive_s(browser, f"{url}/{p}")
        interactive_s(browser, minimal.url)
        play_timing(browser, f"{url}/training?steps={PLAY_STEPS}", 3.0, strict=False)

        # Interleaved: each repeat times the minimal page, then every page, so drift hits all alike.
        times: dict[str, list[float]] = {p: [] for p in paths}
        base: list[float] = []
        for _ in range(args.repeats):
            base.append(interactive_s(browser, minimal.url))
            for p in paths:
                times[p].append(interactive_s(browser, f"{url}/{p}"))
        rows = [(p, times[p]) for p in paths]
        print("  minimal        " + " ".join(f"{x:.2f}" for x in base), flush=True)
        for p, ts in rows:
            print(f"  {p:14s} " + " ".join(f"{x:.2f}" for x in ts), flush=True)
        navs = [navigation_s(browser, url, paths) for _ in range(args.repeats)]
        print("  navigation " + " ".join(f"{k or '/'}={v:.2f}" for k, v in navs[-1].items()), flush=True)
        play_url = f"{url}/training?steps={PLAY_STEPS}"
        plays = [play_timing(browser, play_url, args.watch) for _ in range(args.repeats)]
        print("  play " + " ".join(f"{x['first_s']:.2f}/{x['max_gap_s']:.2f}" for x in plays), flush=True)
    load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if "Traceback (most recent call last)" in log.read_text(errors="replace"):
        print(f"warning: the server log has a traceback: {log}", file=sys.stderr)

    def ok(x, lim):
        return "✅" if x <= lim else "❌"

    def runs(xs):
        return ", ".join(f"{x:.2f}" for x in xs)

    n = args.repeats
    bmed = statistics.median(base)
    lines = [
        f"| page (EN) | opened by URL in a fresh session, median of {n} (s) | runs (s) "
        f"| ÷ minimal page ({bmed:.2f} s) | ≤ {TARGET_RATIO:g}× "
        f"| reached by its sidebar link, median of {n} (s) | runs (s) | ≤ {TARGET_PAGE_S:g} s |",
        "|---|---:|---|---:|:-:|---:|---|:-:|",
        f"| minimal page (title + 1 chart) | {bmed:.2f} | {runs(base)} | 1.00 | | | | |",
    ]
    for p, ts in rows:
        med = statistics.median(ts)
        nav = [x[p] for x in navs]
        nmed = statistics.median(nav)
        lines.append(
            f"| /{p} | {med:.2f} | {runs(ts)} | {med / bmed:.2f} | {ok(med / bmed, TARGET_RATIO)} "
            f"| {nmed:.2f} | {runs(nav)} | {ok(nmed, TARGET_PAGE_S)} |"
        )
    firsts = [x["first_s"] for x in plays]
    gaps = [x["max_gap_s"] for x in plays]
    first, gap = statistics.median(firsts), statistics.median(gaps)
    redraws = statistics.median(x["redraws"] for x in plays)
    lines += [
        "",
        f"| Live training, Play | median of {n} | runs | target |",
        "|---|---:|---|:-:|",
        f"| Play → first new loss point (s) | {first:.2f} | {runs(firsts)} "
        f"| ≤ {TARGET_FIRST_S:g} s {ok(first, TARGET_FIRST_S)} |",
        f"| longest gap between redraws over {args.watch:g} s (s) | {gap:.2f} | {runs(gaps)} "
        f"| ≤ {TARGET_TICK_S:g} s {ok(gap, TARGET_TICK_S)} |",
        f"| redraws in {args.watch:g} s | {redraws:g} | {', '.join(str(x['redraws']) for x in plays)} | |",
    ]
    _report(
        args, argv, "Browser timings", "\n".join(lines), mach,
        f"- headless Chromium ({CHROMIUM}), viewport 1400 × 1000, a fresh browser session per "
        "measurement, on a warm server (its start-up warm-up of the default studies finished "
        f"{warm_s:.0f} s after it was healthy; then each page opened once); Play measured with "
        f"`?steps={PLAY_STEPS}`; the fragment timer is 0.4 s, so redraw gaps cannot be shorter\n"
        f"- load average at the end: {load_end} (other work on the machine inflates every number)\n",
    )
    return 0


def _report(args, argv, title: str, table: str, mach: str, notes: str) -> None:
    """Print a mode's table and, unless --no-write, append it to RESULTS.md under a dated heading
    with the command, the machine and the mode's notes (lines starting with "- ")."""
    print(table)
    if args.no_write:
        return
    extra = " ".join(argv if argv is not None else sys.argv[1:])
    cmd = f"`.venv/bin/python -m benchmarks.browser {extra}`".replace(" `", "`")
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    head = f"\n## {title} ({stamp})\n\n- command: {cmd}\n- machine: {mach}\n{notes}\n"
    with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as f:
        f.write(head + table + "\n")


_JS_FILES = "() => performance.getEntriesByType('resource').filter(e => e.name.endsWith('.js')).length"


def traced_load(browser, url: str) -> dict:
    """Open ``url`` in a fresh session with a Chromium performance trace; its summary (chrome_trace)."""
    from benchmarks.chrome_trace import CATEGORIES, summarise

    ctx, page = _new_page(browser)
    try:
        browser.start_tracing(page=page, screenshots=False, categories=CATEGORIES)
        try:
            page.goto(url, wait_until="commit")
            ready = page.evaluate(_INTERACTIVE_JS, [300, None, LIMIT_MS])
            n_js = page.evaluate(_JS_FILES)
            n_charts = page.locator("[data-testid=stPlotlyChart]").count()
        finally:
            trace = browser.stop_tracing()
    finally:
        ctx.close()
    out = summarise(trace, url, ready)
    out.update(ready_s=ready / 1000, js_files=n_js, charts=n_charts)
    return out


def main_trace(args, argv) -> int:
    paths = args.pages if args.pages is not None else page_paths()
    mach = machine()
    with app_and_minimal("trace") as (server, minimal, browser, _):
        urls = {"minimal page": minimal.url + "/", **{f"/{p}": f"{server.url}/{p}" for p in paths}}
        res: dict[str, list[dict]] = {k: [] for k in urls}
        for u in urls.values():  # warm, as in the timings
            interactive_s(browser, u)
        for _ in range(args.repeats):
            for name, u in urls.items():
                res[name].append(traced_load(browser, u))
                print(f"  {name}: ready {res[name][-1]['ready_s']:.2f} s", flush=True)

    def med(name, f):
        return statistics.median(f(x) for x in res[name])

    kinds = ("scripting", "gc", "rendering", "painting", "loading", "other", "idle")
    lines = [
        "| page (EN) | ready, traced (s) | charts | JS files | main thread: "
        + " / ".join(kinds) + " (ms, wall) | main thread CPU (ms) | renderer's other threads CPU (ms) "
        "| GPU process CPU (ms) | JS self time: top scripts (ms) | top JS functions (ms) |",
        "|---|---:|---:|---:|---|---:|---:|---:|---|---|",
    ]
    for name in urls:
        last = res[name][-1]
        main_ms = " / ".join(f"{med(name, lambda x, k=k: x['main'][k]):.0f}" for k in kinds)
        def cpu(x, proc):
            return sum(v for k, v in x["other_threads"].items() if k.startswith(proc))

        workers = med(name, lambda x: cpu(x, "renderer"))
        gpu = med(name, lambda x: cpu(x, "gpu"))
        main_cpu = med(name, lambda x: x["main_cpu_ms"])
        scripts = ", ".join(f"{k.split('.')[0]} {v:.0f}" for k, v in list(last["js_by_script"].items())[:4])
        top = ", ".join(f"{fn} ({url.split('.')[0]}) {v:.0f}" for fn, url, v in last["js_top"][:3])
        lines.append(
            f"| {name} | {med(name, lambda x: x['ready_s']):.2f} | {last['charts']} | {last['js_files']} "
            f"| {main_ms} | {main_cpu:.0f} | {workers:.0f} | {gpu:.0f} | {scripts} | {top} |"
        )
    _report(
        args, argv, "Chromium performance trace of a fresh visit", "\n".join(lines), mach,
        "- each page opened in a fresh browser session on a warm server, with a trace "
        "(`benchmarks/chrome_trace.py`) from navigation start to ready; medians of "
        f"{args.repeats}, scripts and functions from the last run; tracing itself slows the page, "
        "so compare rows, not these times with the untraced table; main-thread kinds as DevTools "
        "counts them (self time of each event goes to its own kind or its parent's), idle = the "
        "window minus every main-thread task\n",
    )
    return 0


def main_serving(args, argv) -> int:
    from playwright.sync_api import sync_playwright

    paths = args.pages if args.pages is not None else page_paths()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    mach = machine()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"hra-viz-serving-{os.getpid()}.log"
    pw = sync_playwright().start()
    res = {}
    try:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for name, (watch, freeze) in SERVING_SETUPS.items():
                res[name] = serving_cost(browser, paths, watch, freeze, log, args.repeats)
                print(f"  {name}: " + " ".join(
                    f"{p or '/'}={statistics.median(v):.2f}" for p, v in res[name]["per_page"].items())
                    + f"  idle {res[name]['idle_core_pct']:.1f} %", flush=True)
        finally:
            browser.close()
    finally:
        pw.stop()
    n = args.repeats
    names = list(SERVING_SETUPS)
    first, last = names[0], names[-1]
    lines = [
        f"| page (EN): server CPU-s per fresh visit, median of {n} | " + " | ".join(names)
        + f" | {first.split(':')[0]} ÷ {last.split(':')[0]} |",
        "|---|" + "---:|" * (len(names) + 1),
    ]
    med = {nm: {p: statistics.median(v) for p, v in res[nm]["per_page"].items()} for nm in names}
    for p in paths:
        lines.append(f"| /{p} | " + " | ".join(f"{med[nm][p]:.2f}" for nm in names)
                     + f" | {med[first][p] / med[last][p]:.1f}× |")
    tot = {nm: sum(med[nm].values()) for nm in names}
    lines.append("| every page once | " + " | ".join(f"{tot[nm]:.2f}" for nm in names)
                 + f" | {tot[first] / tot[last]:.1f}× |")
    idle = {nm: res[nm]["idle_core_pct"] for nm in names}
    lines.append("| idle server, % of a core over 10 s | " + " | ".join(f"{idle[nm]:.1f} %" for nm in names)
                 + f" | target < 5 % {'✅' if idle[last] < 5 else '❌'} |")
    _report(
        args, argv, "Server CPU per fresh visit, file watcher on vs off", "\n".join(lines), mach,
        "- each visit: a new Chromium context opens the page until interactive, then the server is "
        "left until it used < 2 % of a core for 2 s; CPU = the server process's utime + stime; "
        "the start-up warm-up is off (HRA_VIZ_WARM=0) so that only visits are counted; every setup "
        "reads .streamlit/config.toml (runner.postScriptGC off), so the freeze only matters for "
        "the collections Python itself triggers\n",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

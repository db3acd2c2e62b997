"""Summarise a Chromium performance trace of one page load (``benchmarks.browser --trace``).

The trace is the JSON that ``browser.start_tracing``/``stop_tracing`` (Playwright, CDP ``Tracing``)
returns, recorded with :data:`CATEGORIES`. :func:`summarise` reads, for the window from navigation
start to "ready" (see ``benchmarks/browser.py``):

- the renderer main thread's time by kind, as Chrome DevTools' "Summary" counts it: every trace event's
  self time goes to its own kind or, if it has none, to the kind of the event it is nested in
  (scripting = JS compile/evaluate/run and its garbage collection, rendering = style and layout,
  painting = paint, layerize, commit, loading = HTML/CSS parsing, other = the rest of a task), and
  idle = the window minus every task;
- the main thread's CPU time, and the CPU time of the other threads of the page's renderer (script
  streaming and raster workers, compositor) and of the GPU process (software compositing here:
  Chromium runs with ``--disable-gpu``);
- from the V8 sampling profiler in the same trace: self time per script (which JS chunk) and the
  top JS functions.
"""

from __future__ import annotations

import json
from collections import defaultdict

CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "disabled-by-default-devtools.timeline.frame",
    "v8.execute",
    "blink.user_timing",
    "loading",
    "toplevel",
    "disabled-by-default-v8.cpu_profiler",
]

SCRIPTING = {
    "EvaluateScript", "v8.compile", "v8.compileModule", "v8.evaluateModule", "v8.produceCache",
    "v8.produceModuleCache", "FunctionCall", "TimerFire", "EventDispatch", "FireAnimationFrame",
    "FireIdleCallback", "RunMicrotasks", "v8.run", "V8.Execute", "XHRReadyStateChange", "XHRLoad",
    "CompileScript", "CompileCode", "V8.CompileCode", "v8.parseOnBackground", "CacheScript",
    "WebSocketReceiveHandshakeResponse", "ScheduleStyleInvalidationTracking", "v8.callFunction",
    "V8.StackGuard", "HandlePostMessage", "ResizeObserverController::DeliverObservations",
    "PerformanceObserver::Deliver",
}
GC = {"MinorGC", "MajorGC", "V8.GCScavenger", "V8.GCCompactor", "V8.GCFinalizeMC", "BlinkGC.AtomicPhase",
      "V8.GCIncrementalMarking", "V8.GC_MC_BACKGROUND_MARKING", "ThreadState::performIdleLazySweep",
      "BlinkGC.CompleteSweep", "V8.GCFinalizeMCReduceMemory", "V8.GCMarkCompactor"}
RENDERING = {
    "UpdateLayoutTree", "RecalculateStyles", "Layout", "HitTest", "PrePaint", "UpdateLayer",
    "UpdateLayerTree", "ComputeIntersections", "IntersectionObserverController::computeIntersections",
    "ScheduleStyleRecalculation", "InvalidateLayout", "LayoutShift", "LocalFrameView::RunPostLifecycleSteps",
}
PAINTING = {"Paint", "PaintImage", "Layerize", "Commit", "CompositeLayers", "RasterTask", "Decode Image",
            "ImageDecodeTask", "PaintSetup", "Draw LazyPixelRef", "Decode LazyPixelRef"}
LOADING = {"ParseHTML", "ParseAuthorStyleSheet", "ResourceReceivedData", "ResourceFinish"}
KINDS = ("scripting", "gc", "rendering", "painting", "loading", "other")


def kind_of(name: str) -> str | None:
    if name in GC or name.startswith("V8.GC") or name.endswith("GC"):
        return "gc"
    if name in SCRIPTING:
        return "scripting"
    if name in RENDERING:
        return "rendering"
    if name in PAINTING:
        return "painting"
    if name in LOADING:
        return "loading"
    return None


def _complete_events(events: list[dict]) -> dict[tuple, list[tuple]]:
    """(pid, tid) -> [(start µs, end µs, name, thread CPU µs)] from 'X' events and paired 'B'/'E'
    events (CPU time: ``tdur`` where the trace has it, else the wall duration)."""
    out: dict[tuple, list] = defaultdict(list)
    open_: dict[tuple, list] = defaultdict(list)
    for e in events:
        ph, key = e.get("ph"), (e.get("pid"), e.get("tid"))
        if ph == "X" and "dur" in e:
            out[key].append((e["ts"], e["ts"] + e["dur"], e["name"], e.get("tdur", e["dur"])))
        elif ph == "B":
            open_[key].append(e)
        elif ph == "E" and open_[key]:
            b = open_[key].pop()
            cpu = e.get("tts", 0) - b.get("tts", 0) or e["ts"] - b["ts"]
            out[key].append((b["ts"], e["ts"], b["name"], cpu))
    return out


def _self_times(spans: list[tuple], t0: float, t1: float) -> tuple[dict, float, float]:
    """Self time by kind (nested events inherit their parent's kind), the wall time and the CPU time
    of the top-level tasks, all within [t0, t1] (CPU: tasks that start in it)."""
    spans = sorted(spans, key=lambda s: (s[0], -s[1]))
    by_kind: dict[str, float] = defaultdict(float)
    busy = cpu = 0.0
    stack: list[list] = []  # [start, end, kind, covered-by-children]

    def clip(a, b):
        return max(0.0, min(b, t1) - max(a, t0))

    def close(frame):
        own = clip(frame[0], frame[1]) - frame[3]
        by_kind[frame[2]] += max(0.0, own)

    for a, b, name, tdur in spans:
        while stack and stack[-1][1] <= a:
            close(stack.pop())
        if stack and b > stack[-1][1]:
            b = stack[-1][1]  # a child never outlives its parent (rounding in the trace)
        kind = kind_of(name) or (stack[-1][2] if stack else "other")
        if stack:
            stack[-1][3] += clip(a, b)
        else:
            busy += clip(a, b)
            cpu += tdur if t0 <= a <= t1 else 0.0
        stack.append([a, b, kind, 0.0])
    while stack:
        close(stack.pop())
    return dict(by_kind), busy, cpu


def _thread_names(events: list[dict]) -> dict[tuple, str]:
    return {(e["pid"], e["tid"]): e["args"]["name"] for e in events
            if e.get("ph") == "M" and e.get("name") == "thread_name"}


def _process_names(events: list[dict]) -> dict[int, str]:
    return {e["pid"]: e["args"]["name"] for e in events
            if e.get("ph") == "M" and e.get("name") == "process_name"}


def _js_profile(events: list[dict], t0: float, t1: float, main: tuple) -> tuple[dict, dict]:
    """Self time per script URL and per (function, script) from the V8 sampling profiler's chunks."""
    nodes: dict[tuple, dict] = {}
    by_url: dict[str, float] = defaultdict(float)
    by_fn: dict[tuple, float] = defaultdict(float)
    starts = {}
    for e in events:
        if e.get("name") == "Profile" and e.get("pid") == main[0]:
            starts[e.get("id")] = e["args"]["data"].get("startTime", e["ts"])
    clock: dict = {}
    for e in events:
        if e.get("name") != "ProfileChunk" or e.get("pid") != main[0]:
            continue
        pid = e.get("id")
        data = e["args"]["data"]
        prof = data.get("cpuProfile", {})
        for n in prof.get("nodes", []):
            nodes[(pid, n["id"])] = n
        samples, deltas = prof.get("samples", []), data.get("timeDeltas", [])
        ts = clock.get(pid, starts.get(pid, e["ts"]))
        for s, d in zip(samples, deltas, strict=False):
            ts += d
            if not t0 <= ts <= t1:
                continue
            n = nodes.get((pid, s))
            if n is None:
                continue
            cf = n.get("callFrame", {})
            fn, url = cf.get("functionName") or "(anonymous)", cf.get("url", "")
            if fn in ("(idle)", "(program)", "(root)"):
                continue
            short = url.rsplit("/", 1)[-1].split("?")[0] or fn
            by_url[short] += d
            by_fn[(fn, short)] += d
        clock[pid] = ts
    return dict(by_url), dict(by_fn)


def summarise(trace: bytes | str | dict, page_url: str, ready_ms: float) -> dict:
    """Milliseconds by kind on the page's renderer main thread from navigation start to ready, the
    other threads' busy time, and the top scripts and JS functions (see the module docstring)."""
    data = json.loads(trace) if isinstance(trace, (bytes, str)) else trace
    events = data["traceEvents"] if isinstance(data, dict) else data
    names, procs = _thread_names(events), _process_names(events)
    # navigation start of the page's document: the renderer that loaded page_url
    nav = [e for e in events if e.get("name") == "navigationStart"
           and page_url.split("?")[0] in str(e.get("args", {}).get("data", {}).get("documentLoaderURL", ""))]
    if not nav:
        raise RuntimeError(f"no navigationStart for {page_url} in the trace")
    start = nav[-1]
    t0, t1 = start["ts"], start["ts"] + ready_ms * 1000
    main = (start["pid"], start["tid"])
    spans = _complete_events(events)
    by_kind, busy, cpu = _self_times(spans.get(main, []), t0, t1)
    window = t1 - t0
    out = {"window_ms": window / 1000, "main": {k: by_kind.get(k, 0.0) / 1000 for k in KINDS}}
    out["main"]["idle"] = (window - busy) / 1000
    out["main_cpu_ms"] = cpu / 1000
    others: dict[str, float] = defaultdict(float)
    for key, sp in spans.items():
        if key == main:
            continue
        pname, tname = procs.get(key[0], "?"), names.get(key, "?")
        if key[0] == main[0]:
            label = f"renderer: {tname}"
        elif pname.lower().startswith("gpu"):
            label = f"gpu: {tname}"
        else:
            continue
        others[label] += _self_times(sp, t0, t1)[2] / 1000  # CPU time
    out["other_threads"] = dict(sorted(others.items(), key=lambda kv: -kv[1]))
    by_url, by_fn = _js_profile(events, t0, t1, main)
    out["js_by_script"] = {k: v / 1000 for k, v in sorted(by_url.items(), key=lambda kv: -kv[1])}
    out["js_top"] = [(fn, url, v / 1000) for (fn, url), v in sorted(by_fn.items(), key=lambda kv: -kv[1])]
    return out

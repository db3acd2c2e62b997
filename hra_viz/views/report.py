"""The meeting report of a pilot: ONE self-contained HTML file, in English or Japanese.

``build_report(pilot, lang)`` returns the HTML text. plotly.js is inlined once (in the first
figure), nothing is fetched (no http(s) ``src`` or ``href`` anywhere), and a print style sheet
lays it out on A4 so that the browser's Print command makes a PDF. Sections: in short; the
question and the setup; results with 95 % CIs; differences paired by seed; costs; stability
across seeds; the verdict and its rule; caveats. Texts: ``hra_viz.text.pilot``.
"""

from __future__ import annotations

import html
import math

import plotly.graph_objects as go

from hra_viz.text import t
from hra_viz.views.figures.pilot import pilot_costs, pilot_diffs, pilot_results
from hra_viz.views.pilot import drift_note, fmt_p, fmt_signed, fmt_value, metric_name, verdict_lines

__all__ = ["build_report", "report_filename"]

FIG_WIDTH = 700  # px: fits an A4 page in portrait (print) and a laptop screen alike

_CSS = """
:root { --ink: #1a1a1a; --muted: #5a5a5a; --line: #d9d9d9; --hra: #0072B2; }
* { box-sizing: border-box; }
body { font-family: Inter, 'Noto Sans JP', 'Noto Sans CJK JP', 'Hiragino Sans', 'Yu Gothic', Meiryo,
       'Helvetica Neue', Arial, sans-serif; color: var(--ink); margin: 0; background: #f6f6f4;
       line-height: 1.55; }
main { max-width: 780px; margin: 0 auto; padding: 28px 36px 40px; background: #fff; }
h1 { font-size: 1.55em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--hra); }
.sub { color: var(--muted); margin: 0 0 14px; }
.note { color: var(--muted); font-size: 0.86em; margin: -6px 0 14px; }
.short { border-left: 5px solid var(--hra); background: #eef5fb; padding: 10px 16px; margin: 14px 0; }
.short ul, .verdict ul { margin: 6px 0; padding-left: 20px; }
li.better { color: #0b6b2f; } li.worse { color: #a4370a; }
table { border-collapse: collapse; width: 100%; margin: 10px 0 14px; font-size: 0.86em; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.setup th { width: 30%; }
.fig { margin: 8px 0 12px; }
code { font-size: 0.85em; word-break: break-all; }
.footer { color: var(--muted); font-size: 0.8em; margin-top: 24px; border-top: 1px solid var(--line);
          padding-top: 8px; }
button.print { float: right; padding: 6px 12px; border: 1px solid var(--hra); color: var(--hra);
               background: #fff; border-radius: 4px; cursor: pointer; font: inherit; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  .no-print { display: none !important; }
  h2 { break-after: avoid-page; }
  .fig, table, .short, li { break-inside: avoid-page; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _fig_html(fig: go.Figure, first: bool) -> str:
    fig.update_layout(width=FIG_WIDTH, autosize=False)
    body = fig.to_html(
        full_html=False, include_plotlyjs=bool(first), config={"displaylogo": False, "responsive": False}
    )
    return f'<div class="fig">{body}</div>'


def report_filename(pilot: dict, lang: str) -> str:
    s = pilot["setup"]
    return f"pilot-{'-'.join(s['methods'])}-{s['task']}-{len(s['seeds'])}seeds-{lang}.html"


def _table(head: list[str], rows: list[list[tuple[str, bool]]], cls: str = "") -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{_e(v)}</td>' if num else f"<td>{_e(v)}</td>" for v, num in r)
        + "</tr>"
        for r in rows
    )
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _ci(metric: str, ci) -> str:
    lo, hi = ci
    return f"[{fmt_value(metric, lo)}, {fmt_value(metric, hi)}]"


def _std(metric: str, v) -> str:
    if v is None or not math.isfinite(float(v)):
        return "–"
    v = float(v)
    if metric in ("target_acc", "retention"):
        return f"{v * 100:.2f} pts"
    return fmt_value(metric, v)


def _method_label(m: str, cfg: dict, lang: str) -> str:
    name = t(f"method.{m}", lang)
    if cfg.get("r") is not None:
        name += f" (r = {cfg['r']}" + (f", λ = {cfg['lam']:g}" if m == "hra" and cfg.get("lam") else "") + ")"
    elif cfg.get("block_size") is not None:
        name += f" (b = {cfg['block_size']})"
    return name


def build_report(pilot: dict, lang: str = "en") -> str:
    """The meeting report of ``pilot`` (a ``run_pilot``/``load_pilot`` dict) as one HTML string."""
    s = pilot["setup"]
    methods = list(pilot["methods"])
    metrics = list(pilot["metrics"])
    a = methods[0]
    k = len(s["seeds"])
    name = {m: t(f"method.{m}", lang) for m in methods}
    task = s["task"]
    dims = s.get("model_dims")
    model = (t("report.model_value", lang, dims=" → ".join(map(str, dims)), seed=s.get("task_seed", 0))
             if isinstance(dims, list) and dims else str(s.get("model", task)))  # fmt: skip
    title = t("report.title", lang, methods=" / ".join(name[m] for m in methods), task=task)
    date = str(s.get("date", ""))[:16].replace("T", " ")
    parts = [
        f'<button class="print no-print" onclick="window.print()">{_e(t("report.print", lang))}</button>',
        f"<h1>{_e(title)}</h1>",
        f'<p class="sub">{_e(t("report.subtitle", lang, k=k, n=len(methods), steps=s["steps"], date=date))}'
        "</p>",
    ]

    lines = verdict_lines(pilot, lang)
    short = [(c, txt) for pair, metric, c, txt in lines if metric in ("target_acc", "retention")]
    if short:
        items = "".join(f'<li class="{c}">{_e(txt)}</li>' for c, txt in short)
        parts.append(
            f'<div class="short"><strong>{_e(t("report.short.title", lang))}</strong><ul>{items}</ul>'
            f"<div>{_e(t('verdict.rule', lang, k=k))}</div></div>"
        )

    # 1. question and setup
    others = ", ".join(name[m] for m in methods[1:]) or name[a]
    parts.append(f"<h2>1 · {_e(t('report.question.title', lang))}</h2>")
    parts.append(f"<p>{_e(t('report.question.text', lang, a=name[a], others=others, k=k))}</p>")
    desc = s.get("task_description", {})
    lr = s.get("lr", {})
    lr_text = ", ".join(f"{name[m]} {float(lr[m]):g}" for m in methods if m in lr)
    versions = ", ".join(f"{key} {val}" for key, val in (s.get("versions") or {}).items())
    dev = s.get("device")
    dev = ", ".join(dev) if isinstance(dev, list) else str(dev)
    setup_rows = [
        (t("report.setup.task", lang), f"{task}: {desc.get(lang, '') if isinstance(desc, dict) else ''}"),
        (t("report.setup.model", lang), model),
        (
            t("report.setup.base", lang),
            t(
                "report.setup.base_value",
                lang,
                t=fmt_value("target_acc", s.get("base_target_acc")),
                s=fmt_value("target_acc", s.get("base_source_acc")),
            ),
        ),
        (
            t("report.setup.methods", lang),
            "; ".join(_method_label(m, pilot["methods"][m].get("config", {}), lang) for m in methods),
        ),
        (t("report.setup.seeds", lang), f"{k}: {', '.join(map(str, s['seeds']))}"),
        (
            t("report.setup.steps", lang),
            t(
                "report.setup.steps_value",
                lang,
                steps=s["steps"],
                batch=s.get("batch_size"),
                opt=s.get("optimizer"),
                lr=lr_text,
            ),
        ),
        (t("report.setup.device", lang), dev),
        (
            t("report.setup.backend", lang),
            t(
                "report.setup.backend_value",
                lang,
                backend=s.get("backend"),
                wall=f"{float(s.get('wall_s') or 0):.1f}",
            ),
        ),
        (t("report.setup.date", lang), s.get("date", "")),
        (t("report.setup.versions", lang), versions),
    ]
    if s.get("command"):
        setup_rows.append((t("report.setup.command", lang), s["command"]))
    parts.append(
        _table(["", ""], [[(h, False), (v, False)] for h, v in setup_rows], "setup").replace(
            "<thead><tr><th></th><th></th></tr></thead>", ""
        )
    )

    # 2. results
    figs = [
        pilot_results(pilot, lang),
        pilot_diffs(pilot, lang) if pilot["paired"] else None,
        pilot_costs(pilot, lang),
    ]
    parts.append(f"<h2>2 · {_e(t('report.results.title', lang))}</h2>")
    parts.append(f"<p>{_e(t('report.results.text', lang, k=k))}</p>")
    parts.append(_fig_html(figs[0], first=True))
    head = [
        t("report.col.method", lang),
        t("report.col.metric", lang),
        t("report.col.mean", lang),
        t("report.col.ci", lang),
        t("report.col.values", lang),
    ]
    rows = []
    for m in methods:
        for metric in ("target_acc", "retention", "drift"):
            e = pilot["methods"][m][metric]
            rows.append(
                [
                    (name[m], False),
                    (metric_name(metric, lang, task), False),
                    (fmt_value(metric, e["mean"]), True),
                    (_ci(metric, e["ci95"]), True),
                    (" ".join(fmt_value(metric, v) for v in e["values"]), False),
                ]
            )
    parts.append(_table(head, rows))
    parts.append(f'<p class="note">{_e(drift_note(pilot, lang))}</p>')
    if pilot["paired"]:
        parts.append(f"<h2>3 · {_e(t('report.paired.title', lang))}</h2>")
        parts.append(f"<p>{_e(t('report.paired.text', lang, a=name[a]))}</p>")
        parts.append(_fig_html(figs[1], first=False))
        head = [
            t("report.col.pair", lang),
            t("report.col.metric", lang),
            t("report.col.diff", lang),
            t("report.col.ci", lang),
            t("report.col.p", lang),
            t("report.col.verdict", lang),
        ]
        rows = []
        for pair, pm in pilot["paired"].items():
            pa, pb = pair.split("-", 1)
            for metric in metrics:
                p = pm[metric]
                ci = f"[{fmt_signed(metric, p['ci95'][0])}, {fmt_signed(metric, p['ci95'][1])}]"
                rows.append(
                    [
                        (f"{name[pa]} − {name[pb]}", False),
                        (metric_name(metric, lang, task), False),
                        (fmt_signed(metric, p["mean"]), True),
                        (ci, True),
                        (fmt_p(p["p_value"]), True),
                        (t(f"report.v.{p['verdict']}", lang, a=name[pa]), False),
                    ]
                )
        parts.append(_table(head, rows))

    # 4. costs
    n = 4 if pilot["paired"] else 3
    mem = s.get("memory_measure")
    mem_text = (
        " / ".join(
            t(f"report.mem.{x}", lang)
            for x in (mem if isinstance(mem, list) else [mem])
            if f"report.mem.{x}" in _KNOWN_MEM
        )
        or "–"
    )
    parts.append(f"<h2>{n} · {_e(t('report.costs.title', lang))}</h2>")
    parts.append(f"<p>{_e(t('report.costs.text', lang, device=dev, measure=mem_text))}</p>")
    parts.append(_fig_html(figs[2], first=False))
    head = [
        t("report.col.method", lang),
        t("pilot.metric.trainable_params", lang),
        t("pilot.metric.step_time_s", lang),
        t("report.col.ci", lang),
        t("pilot.metric.peak_mem_mb", lang),
        t("report.col.ci", lang),
    ]
    rows = []
    for m in methods:
        e = pilot["methods"][m]
        rows.append(
            [
                (name[m], False),
                (fmt_value("trainable_params", e.get("trainable_params")), True),
                (fmt_value("step_time_s", e["step_time_s"]["mean"]), True),
                (_ci("step_time_s", e["step_time_s"]["ci95"]), True),
                (fmt_value("peak_mem_mb", e["peak_mem_mb"]["mean"]), True),
                (_ci("peak_mem_mb", e["peak_mem_mb"]["ci95"]), True),
            ]
        )
    parts.append(_table(head, rows))

    # 5. stability
    parts.append(f"<h2>{n + 1} · {_e(t('report.stability.title', lang))}</h2>")
    parts.append(f"<p>{_e(t('report.stability.text', lang))}</p>")
    head = [t("report.col.method", lang)] + [
        f"{metric_name(x, lang, task)} · {t('report.col.std', lang)}"
        for x in ("target_acc", "retention", "drift")
    ]
    rows = [
        [(name[m], False)]
        + [(_std(x, pilot["methods"][m][x]["std"]), True) for x in ("target_acc", "retention", "drift")]
        for m in methods
    ]
    parts.append(_table(head, rows))
    items = []
    for m in methods:
        codes = pilot["methods"][m].get("status_code", [])
        bad = [c for c in codes if c != "finished"]
        items.append(
            t(
                "report.stability.bad",
                lang,
                m=name[m],
                bad=len(bad),
                k=len(codes),
                codes=", ".join(sorted(set(bad))),
            )
            if bad
            else t("report.stability.ok", lang, m=name[m], k=len(codes))
        )
    parts.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in items) + "</ul>")

    # 6. verdict
    parts.append(f'<h2>{n + 2} · {_e(t("report.verdict.title", lang))}</h2><div class="verdict">')
    parts.append(f"<p>{_e(t('verdict.rule', lang, k=k))}</p>")
    if lines:
        parts.append("<ul>" + "".join(f'<li class="{c}">{_e(txt)}</li>' for _, _, c, txt in lines) + "</ul>")
    parts.append("</div>")

    # 7. caveats
    caveats = [
        t("report.caveat.seeds", lang, k=k),
        t("report.caveat.toy", lang, model=model),
        t("report.caveat.multiple", lang, n=len(metrics)),
        t("report.caveat.lr", lang, lr=lr_text),
        t("report.caveat.timing", lang, device=dev),
    ]
    params = {pilot["methods"][m].get("trainable_params") for m in methods}
    if len(params) > 1:
        caveats.append(t("report.caveat.budget", lang))
    if s.get("conflicts_with_source"):
        caveats.append(t("report.caveat.conflict", lang))
    parts.append(f"<h2>{n + 3} · {_e(t('report.caveats.title', lang))}</h2>")
    parts.append("<ul>" + "".join(f"<li>{_e(c)}</li>" for c in caveats) + "</ul>")
    version = (s.get("versions") or {}).get("hra_viz", "")
    parts.append(f'<div class="footer">{_e(t("report.footer", lang, version=version))}</div>')

    return (
        f'<!DOCTYPE html>\n<html lang="{_e(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
        f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(parts)
        + "\n</main>\n</body>\n</html>\n"
    )


_KNOWN_MEM = {"report.mem.tensor-accounting", "report.mem.cuda-allocator-peak"}

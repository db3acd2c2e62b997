"""``python -m hra_viz train …``, ``python -m hra_viz sweep …`` and ``python -m hra_viz pilot …``.

train: one run with a progress bar; writes metrics (every step) and summary as CSV or JSON, and
       ``curves.html`` (loss and accuracies) as a standalone plotly page.
sweep: a grid of runs; writes one tidy table (CSV or JSON) and ``sweep.html`` (target and source
       accuracy against trainable parameters; with several seeds, their means with 95 % CIs and
       every seed as a dot); ``--recommend`` prints the recommended chain length and its evidence.
pilot: methods × seeds on one task; prints means with 95 % CIs and the verdict, writes the numbers
       (``--json``) and the meeting report (``--report``, one self-contained HTML file, EN or JA).
sweep and pilot run on the local process pool or, with ``--backend ray [--address ADDR]``, on Ray.
real: all-MiniLM-L6-v2 adapted live on the shipped intent task (see ``hra_viz.cli_real``).

Bad arguments exit with code 2 and a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shlex
import sys
from pathlib import Path

from hra_viz import cli_real
from hra_viz.training.train import _INT_FIELDS, CHOICES, RANGES, RunConfig

_OPTIONAL = {"alpha", "lr", "angle", "noise", "occlude"}


def _num_list(kind):
    def parse(text: str):
        try:
            return [kind(v) for v in text.split(",") if v.strip()]
        except ValueError:
            msg = f"expected a comma-separated list of {kind.__name__}s; got {text!r}"
            raise argparse.ArgumentTypeError(msg) from None
    return parse


def _str_list(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _add_config_args(p: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    defaults = RunConfig()
    for f in dataclasses.fields(RunConfig):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        if f.name in CHOICES and f.name != "block_size":
            p.add_argument(flag, default=default, metavar="|".join(map(str, CHOICES[f.name])),
                           help=f"default: {default}")
        else:
            kind = int if f.name in _INT_FIELDS else float
            rng = RANGES.get(f.name)
            extra = f" in [{rng[0]}, {rng[1]}]" if rng else ""
            if f.name == "block_size":
                extra = f" one of {CHOICES['block_size']}"
            p.add_argument(flag, type=kind, default=default, help=f"default: {default}{extra}")


def _config_from(args: argparse.Namespace, skip: tuple[str, ...] = ()) -> RunConfig:
    kw = {f.name: getattr(args, f.name) for f in dataclasses.fields(RunConfig) if f.name not in skip}
    return RunConfig(**kw)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m hra_viz", description="Train and compare HRA, LoRA, OFT, "
                                 "full and head-only fine-tuning on built-in tasks.")
    sub = ap.add_subparsers(dest="command", required=True)
    for name in ("train", "sweep"):
        p = sub.add_parser(name, help=f"{name} (see --help)")
        _add_config_args(p, skip=("r",) if name == "sweep" else ())
        p.add_argument("--out", type=Path, default=Path("out") / name, help="output folder (created)")
        p.add_argument("--format", choices=("csv", "json"), default="csv", help="table format")
        p.add_argument("--no-html", action="store_true", help="skip the standalone HTML figures")
        p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
    sw = sub.choices["sweep"]
    sw.add_argument("--r", type=_num_list(int), default=[2, 4, 8, 16, 32], help="grid of r, e.g. 2,4,8")
    sw.add_argument("--methods", type=_str_list, default=["hra", "lora", "oft", "full"],
                    help="comma-separated methods out of " + ",".join(CHOICES["method"]))
    sw.add_argument("--seeds", type=_num_list(int), default=None, help="seeds, e.g. 0,1,2")
    sw.add_argument("--lams", type=_num_list(float), default=None, help="comma-separated λ for HRA")
    sw.add_argument("--matched-budget", action="store_true", help="LoRA at r/2 (see hra_viz.training.sweep)")
    sw.add_argument("--processes", type=int, default=None, help="worker processes (default: sequential)")
    sw.add_argument("--recommend", action="store_true",
                    help="print the recommended HRA chain length and its evidence")
    sw.add_argument("--max-params", type=float, default=None, help="--recommend: parameter budget")
    sw.add_argument("--max-step-ms", type=float, default=None, help="--recommend: time budget per step (ms)")
    pl = sub.add_parser("pilot", help="A/B pilot: methods × seeds with 95 %% CIs and a meeting report")
    _add_config_args(pl, skip=("method", "seed"))
    pl.add_argument("--methods", type=_str_list, default=["hra", "lora"],
                    help="comma-separated methods; the first is compared with each other one")
    pl.add_argument("--seeds", type=_seeds, default=5, help="K (seeds 0…K-1) or a list such as 0,3,7")
    pl.add_argument("--matched-budget", action="store_true", help="LoRA at r/2 (see hra_viz.training.sweep)")
    pl.add_argument("--json", type=Path, default=None, help="write the pilot's numbers here (JSON)")
    pl.add_argument("--report", type=Path, default=None, help="write the meeting report here (one HTML file)")
    pl.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the report and summary")
    pl.add_argument("--processes", type=int, default=None,
                    help="local: worker processes (default: sequential); ray: CPUs of a local Ray")
    pl.add_argument("--gpus-per-task", type=float, default=1.0, help="ray on cuda: GPUs per task (e.g. 0.25)")
    pl.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    pl.add_argument("--quiet", action="store_true", help="no progress bar")
    for p in (sw, pl):
        p.add_argument("--backend", choices=("local", "ray"), default="local",
                       help="local process pool (default) or Ray: one task per cell")
        p.add_argument("--address", default=None,
                       help="ray: a running cluster (host:port or auto; `ray start --head`); default: local")
    cli_real.add_parser(sub)  # `real`: all-MiniLM-L6-v2, adapted live (hra_viz.cli_real)
    return ap


def _seeds(text: str):
    try:
        vals = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        msg = f"expected K or a comma-separated list of seeds; got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not vals:
        raise argparse.ArgumentTypeError("expected K or a comma-separated list of seeds")
    return vals if "," in text else vals[0]


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def _write_table(rows, path_stem: Path, fmt: str) -> Path:
    import pandas as pd

    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    path = path_stem.with_suffix("." + fmt)
    if fmt == "csv":
        df.to_csv(path, index=False)
    else:
        recs = [_clean(r) for r in json.loads(df.to_json(orient="records"))]
        path.write_text(json.dumps(recs, indent=1, ensure_ascii=False))
    return path


def _train(args) -> int:
    from tqdm import tqdm

    from hra_viz.training.train import Run, prepare

    cfg = _config_from(args)
    prepare(cfg)
    run = Run(cfg)
    args.out.mkdir(parents=True, exist_ok=True)
    with tqdm(total=cfg.steps, desc=f"{cfg.method} on {cfg.task}", disable=args.quiet, unit="step") as bar:
        while not run.done:
            new = run.step(min(10, cfg.steps - run.step_count))
            if not new:
                break
            bar.update(len(new))
            last = new[-1]
            bar.set_postfix(loss=f"{last['loss']:.3f}", target=f"{last['target_acc']:.3f}",
                            source=f"{last['source_acc']:.3f}")
    summary = run.summary()
    written = [_write_table(run.history, args.out / "metrics", args.format)]
    spath = args.out / "summary.json"
    spath.write_text(json.dumps(_clean({"config": cfg.to_dict(), **summary}), indent=1, ensure_ascii=False))
    written.append(spath)
    if not args.no_html:
        from hra_viz.views.figures import training_curves

        hpath = args.out / "curves.html"
        fig = training_curves(run.history, title=f"{cfg.method} on {cfg.task}")
        fig.write_html(hpath, include_plotlyjs=True)
        written.append(hpath)
    print(f"{summary['status']}: target {summary['base_target_acc']:.3f} → {summary['target_acc']:.3f}, "
          f"source {summary['base_source_acc']:.3f} → {summary['source_acc']:.3f}, "
          f"{summary['trainable_params']} trainable parameters, {summary['wall_s']:.2f} s")
    for p in written:
        print(f"wrote {p}")
    return 0


def _sweep(args) -> int:
    from tqdm import tqdm

    from hra_viz.training.sweep import grid, sweep

    bad = [m for m in args.methods if m not in CHOICES["method"]]
    if bad:
        raise ValueError(f"methods must be among {CHOICES['method']}; got {bad}")
    if not args.r or any(not (RANGES["r"][0] <= v <= RANGES["r"][1]) for v in args.r):
        raise ValueError(f"every r must be in [{RANGES['r'][0]}, {RANGES['r'][1]}]; got {args.r}")
    base = _config_from(args, skip=("r",))
    total = len(grid(base, args.r, args.methods, args.seeds, args.lams, args.matched_budget))
    args.out.mkdir(parents=True, exist_ok=True)
    with tqdm(total=total, desc="sweep", disable=args.quiet, unit="run") as bar:
        def progress(done: int, total: int, label: str) -> None:
            bar.n = done
            bar.set_postfix_str(label)
            bar.refresh()

        df = sweep(base, r=args.r, methods=args.methods, seeds=args.seeds, lams=args.lams,
                   matched_budget=args.matched_budget, progress=progress, processes=args.processes,
                   backend=args.backend, address=args.address)
    written = [_write_table(df, args.out / "sweep", args.format)]
    if not args.no_html:
        from hra_viz.views.figures import sweep_scatter

        hpath = args.out / "sweep.html"
        sweep_scatter(df).write_html(hpath, include_plotlyjs=True)
        written.append(hpath)
    n_bad = int((~df["status"].astype(str).str.startswith("finished")).sum())
    print(f"{len(df)} runs" + (f", {n_bad} did not finish (see the status column)" if n_bad else ""))
    if args.recommend:
        _print_recommendation(df, args)
    for p in written:
        print(f"wrote {p}")
    return 0


def _print_recommendation(df, args) -> None:
    from hra_viz.training.recommend import recommend_chain_length
    from hra_viz.views.pilot import fmt_value, rec_text

    ms = args.max_step_ms / 1e3 if args.max_step_ms is not None else None
    rec = recommend_chain_length(df, max_params=args.max_params, max_step_time_s=ms)
    rule, result = rec_text(rec, "en")
    print(f"\nRecommended chain length (HRA, λ = {rec['lam']}):\n  {rule}\n  {result.replace('**', '')}")
    if rec["evidence"]:
        print(f"  {'r':>4} {'seeds':>5} {'mean':>8} {'95 % CI':>18} {'params':>8} {'ms/step':>8}"
              "  within  budget")
        for e in rec["evidence"]:
            ci = f"[{fmt_value('target_acc', e['ci95'][0])}, {fmt_value('target_acc', e['ci95'][1])}]"
            mark = " ← recommended" if e["recommended"] else (" (best)" if e["best"] else "")
            yes = {True: "yes", False: "no"}
            print(f"  {e['r']:>4} {e['n']:>5} {fmt_value('target_acc', e['mean']):>8} {ci:>18} "
                  f"{int(e['params']):>8} {e['step_time_s'] * 1e3:>8.3f}  {yes[e['within']]:>6}  "
                  f"{yes[e['in_budget']]:>6}{mark}")


def _pilot(args) -> int:
    from tqdm import tqdm

    from hra_viz.training.pilot import run_pilot, seed_list, to_json
    from hra_viz.training.real_pilot import REAL_TASK

    task = args.task
    if task == REAL_TASK:  # the real model: the toy-task fields only validate the shared options
        args.task = RunConfig().task
    base = _config_from(args, skip=("method", "seed"))
    n_cells = len(list(dict.fromkeys(args.methods))) * len(seed_list(args.seeds))
    command = "python -m hra_viz " + shlex.join(args.argv)
    with tqdm(total=n_cells, desc="pilot", disable=args.quiet, unit="run") as bar:
        def progress(done: int, total: int, label: str) -> None:
            bar.n = done
            bar.set_postfix_str(label)
            bar.refresh()

        res = run_pilot(task, args.methods, base.r, args.seeds, base.steps, lam=base.lam, lr=base.lr,
                        batch_size=base.batch_size, device=base.device, matched_budget=args.matched_budget,
                        backend=args.backend, processes=args.processes, address=args.address,
                        gpus_per_task=args.gpus_per_task, progress=progress, base=base, command=command)
    _print_pilot(res, args.lang)
    written = []
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(to_json(res) + "\n", encoding="utf-8")
        written.append(args.json)
    if args.report:
        from hra_viz.views.report import build_report

        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(build_report(res, args.lang), encoding="utf-8")
        written.append(args.report)
    for p in written:
        print(f"wrote {p}")
    return 0


def _print_pilot(res: dict, lang: str) -> None:
    from hra_viz.text import t
    from hra_viz.views.pilot import fmt_value, metric_name, verdict_lines

    s = res["setup"]
    print(f"\n{s['task']}, r = {s['r']}, {s['steps']} steps, seeds {s['seeds']}, {s['device']}, "
          f"{s['backend']} backend, {s['wall_s']:.1f} s")
    for m, e in res["methods"].items():
        cells = []
        for metric in res["metrics"]:
            lo, hi = (fmt_value(metric, v) for v in e[metric]["ci95"])
            mean = fmt_value(metric, e[metric]["mean"])
            cells.append(f"{metric_name(metric, lang, s['task'])} {mean} [{lo}, {hi}]")
        print(f"  {t(f'method.{m}', lang)}: " + "; ".join(cells))
    print(t("verdict.rule", lang, k=len(s["seeds"])))
    for _, _, _, text in verdict_lines(res, lang):
        print("  " + text)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with a message on malformed arguments
    args.argv = list(argv if argv is not None else sys.argv[1:])
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be ≥ 1")
        import torch

        torch.set_num_threads(args.threads)
    try:
        commands = {"train": _train, "sweep": _sweep, "pilot": _pilot, "real": cli_real.run_real}
        return commands[args.command](args)
    except (ValueError, cli_real.ModelMissing) as e:
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{parser.prog} {args.command}: error: cannot write output: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

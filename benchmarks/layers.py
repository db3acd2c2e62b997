"""Forward + backward of adapted Linear layers: our HRALinear against its peers, side by side.

    python -m benchmarks.layers                       # CPU, 2 threads: d ∈ {256, 1024, 4096}, 256 tokens
    python -m benchmarks.layers --device cuda         # GPU: bf16, d ∈ {1024, 4096, 8192}, r ∈ {8, 32}:
                                                      #   one layer (8192 tokens), a 12-layer stack with
                                                      #   ReLU (4096 tokens), and the precision paths
    python -m benchmarks.layers --quick               # a fast smoke run (not written to RESULTS.md)

Peers, measured in one process and interleaved round by round so that machine noise hits all alike:
* ``hra (ours)``       hra_viz.core.adapters.HRALinear (picks the cheapest exact route per call)
* ``hra materialise``  a faithful PEFT-0.21-style HRA written here: builds H (d × d) and W H every call (CPU)
* ``peft hra``         peft.tuners.hra.layer.HRALinear (when peft is installed)
* ``peft lora``        peft.tuners.lora.layer.Linear at the same r
* ``lora (ours)``      hra_viz.core.adapters.LoRALinear at the same r (CPU)
* ``base``             the frozen nn.Linear alone

Each cell is the median of the timed repeats (wall clock: on a GPU, 10 steps back to back and one
synchronisation, so the host's launch overhead counts as it does in eager training); the tables give
ratios against PEFT's LoRA, and the peak memory a step allocates on top of what was allocated before.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from hra_viz.core.adapters import HRALinear, LoRALinear

RESULTS = Path(__file__).with_name("RESULTS.md")


class MaterialisedHRA(nn.Module):
    """PEFT 0.21's HRA forward, written out: H = ∏(I − 2ûûᵀ) as a d × d matrix, then F.linear(x, W H, b)."""

    def __init__(self, base: nn.Linear, u: torch.Tensor):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.u = nn.Parameter(u.clone())

    def forward(self, x):
        un = self.u / self.u.norm(dim=0)
        H = torch.eye(self.u.shape[0], device=x.device, dtype=un.dtype)
        for i in range(un.shape[1]):
            ui = un[:, i].view(-1, 1)
            H = H - 2 * H @ ui @ ui.t()
        W = self.base.weight
        return F.linear(x, (W.to(H.dtype) @ H).to(x.dtype), self.base.bias)


def peft_layers(base: nn.Linear, r: int) -> dict[str, nn.Module]:
    try:
        from peft import HRAConfig, LoraConfig
        from peft.tuners.hra.layer import HRALinear as PeftHRA
        from peft.tuners.lora.layer import Linear as PeftLoRA
    except ImportError:
        return {}
    hra = PeftHRA(base, "default", HRAConfig(r=r, target_modules=["x"]), r=r)
    lora = PeftLoRA(base, "default", LoraConfig(r=r, lora_alpha=r, target_modules=["x"]), r=r, lora_alpha=r)
    with torch.no_grad():  # B ≠ 0 so that LoRA's backward does its full work (B = 0 changes no flop)
        lora.lora_B["default"].weight.normal_(0, 0.01)
    return {"peft hra": hra, "peft lora": lora}


def make_layers(d: int, r: int, device: str, dtype: torch.dtype, with_peft: bool) -> dict[str, nn.Module]:
    torch.manual_seed(0)
    base = nn.Linear(d, d).to(device=device, dtype=dtype).requires_grad_(False)
    ours = HRALinear(base, r, init="random", generator=torch.Generator().manual_seed(0))
    layers: dict[str, nn.Module] = {
        "hra (ours)": ours,
        "hra materialise": MaterialisedHRA(base, ours.u.detach()),
        "lora (ours)": LoRALinear(base, r),
        "base": base,
    }
    with torch.no_grad():
        layers["lora (ours)"].lora_B.normal_(0, 0.01)
    if with_peft:
        peft = peft_layers(base, r)
        for m in peft.values():
            m.to(device)  # PEFT keeps its adapter in the base's dtype on CUDA bf16 as it does in training
        layers.update(peft)
    return layers


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def one_step(layer: nn.Module, x: torch.Tensor, gy: torch.Tensor):
    """A zero-argument callable: one forward + backward (adapter grads, and x's when it needs one)."""

    def run():
        y = layer(x)
        if y.requires_grad:
            y.backward(gy)

    return run


def graphed_step(layer: nn.Module, x: torch.Tensor, gy: torch.Tensor):
    """The whole step captured in one CUDA graph (torch's whole-network recipe); replay is pure GPU time."""
    run = one_step(layer, x, gy)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            run()
    torch.cuda.current_stream().wait_stream(side)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        run()
    return g.replay


CLOCK = time.perf_counter  # --clock process: CPU seconds of the whole process (time.process_time)


def step_time(run, device: str, calls: int = 1) -> float:
    """Seconds per step. On a GPU, ``calls`` steps run back to back before one synchronisation, as
    layers do inside a model: the host's launch overhead then overlaps the device's work."""
    sync(device)
    t0 = CLOCK()
    for _ in range(calls):
        run()
    sync(device)
    return (CLOCK() - t0) / calls


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if torch.cuda.is_available():
        cpu += f"; GPU {torch.cuda.get_device_name(0)}"
    return f"{cpu}; {os.cpu_count()} cores; torch {torch.__version__}; threads {torch.get_num_threads()}"


def peak_bytes(run, device: str) -> int:
    """Peak memory one call of ``run`` allocates above what was allocated before it."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        run()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - before
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        run()
    events = sorted(
        (e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"
    )
    cur = peak = 0
    for _, nb in events:
        cur += nb
        peak = max(peak, cur)
    return peak


def bench(runs: dict, device: str, repeats: int, calls: int, slow_s: float, zero) -> dict[str, float]:
    """Median seconds per step of every peer, interleaved. Peers slower than ``slow_s`` a step (the
    d × d ones) run one step per repeat and 3 repeats."""
    slow = set()
    for name, run in runs.items():
        for _ in range(2):
            t = step_time(run, device, 1)
        if t > slow_s:
            slow.add(name)
        zero()
    times: dict[str, list[float]] = {k: [] for k in runs}
    for i in range(repeats):
        for name, run in runs.items():  # interleaved: every peer sees the same noise
            if name in slow and i >= 3:
                continue
            times[name].append(step_time(run, device, 1 if name in slow else calls))
            zero()
    return {k: statistics.median(v) for k, v in times.items()}


def _zero(mods, x):
    def zero():
        for m in mods:
            m.zero_grad(set_to_none=True)
        x.grad = None

    return zero


def bench_cell(d, r, n_tokens, input_grad, device, dtype, repeats, with_peft, slow_s, calls=1, peers=None):
    layers = make_layers(d, r, device, dtype, with_peft)
    if peers is not None:
        layers = {k: v for k, v in layers.items() if k in peers}
    x = torch.randn(n_tokens, d, device=device, dtype=dtype, requires_grad=input_grad)
    gy = torch.randn(n_tokens, d, device=device, dtype=dtype)
    runs = {name: one_step(layer, x, gy) for name, layer in layers.items()}
    zero = _zero(layers.values(), x)
    med = bench(runs, device, repeats, calls, slow_s, zero)
    mem = {}
    for name in ("hra (ours)", "peft lora", "lora (ours)"):
        if name in runs:
            zero()
            mem[name] = peak_bytes(runs[name], device)
    zero()
    # check that ours is exact against a float64 dense reference on this very cell
    with torch.no_grad():
        a = layers["hra (ours)"](x[:256]).double()
        ours = layers["hra (ours)"]
        W = ours.base.weight.double()
        U = ours.u.detach().double()
        Un = U / U.norm(dim=0)
        H = torch.eye(d, dtype=torch.float64, device=device)
        for i in range(r):
            H = H - 2 * (H @ Un[:, i : i + 1]) @ Un[:, i : i + 1].T
        b = x[:256].double() @ (W @ H).T + ours.base.bias.double()
        rel = float((a - b).norm() / b.norm())
    return med, mem, rel


def make_stack(d, r, device, dtype, with_peft, n_layers=12) -> dict[str, nn.Module]:
    """12 frozen Linear(d, d) with ReLU between, shared by every peer; each peer wraps all 12."""
    torch.manual_seed(0)
    bases = [nn.Linear(d, d).to(device=device, dtype=dtype).requires_grad_(False) for _ in range(n_layers)]
    with torch.no_grad():
        for b in bases:  # keep activations O(1) through the stack
            b.weight.mul_(3.0**0.5)

    def stack(wrap):
        mods = []
        for i, b in enumerate(bases):
            mods += [wrap(b, i), nn.ReLU()]
        return nn.Sequential(*mods[:-1])

    out = {
        "hra (ours)": stack(
            lambda b, i: HRALinear(b, r, init="random", generator=torch.Generator().manual_seed(i))
        ),
        "base": stack(lambda b, i: b),
    }
    if with_peft:
        try:
            out["peft lora"] = stack(lambda b, i: peft_layers(b, r)["peft lora"].to(device))
            out["peft hra"] = stack(lambda b, i: peft_layers(b, r)["peft hra"].to(device))
        except KeyError:
            pass
    return out


def bench_stack(d, r, n_tokens, input_grad, device, dtype, repeats, with_peft, slow_s, calls):
    stacks = make_stack(d, r, device, dtype, with_peft)
    x = torch.randn(n_tokens, d, device=device, dtype=dtype, requires_grad=input_grad)
    gy = torch.randn(n_tokens, d, device=device, dtype=dtype)
    runs = {name: one_step(m, x, gy) for name, m in stacks.items()}
    zero = _zero(stacks.values(), x)
    med = bench(runs, device, repeats, calls, slow_s, zero)
    mem = {}
    for name in ("hra (ours)", "peft lora"):
        if name in runs:
            zero()
            mem[name] = peak_bytes(runs[name], device)
    zero()
    return med, mem


# the precision paths: how a user gets a half-precision HRA layer
PRECISION_PATHS = {
    "adapt, then .to(bf16)": dict(cast_after=torch.bfloat16),
    "adapt, then .half()": dict(cast_after=torch.float16),
    "cast to bf16, then adapt": dict(cast_before=torch.bfloat16),
    "autocast bf16 (fp32 model)": dict(autocast=torch.bfloat16),
    "autocast fp16 (fp32 model)": dict(autocast=torch.float16),
    "float32": dict(),
}


def bench_precision(path, d, r, n_tokens, input_grad, device, repeats, with_peft, calls):
    spec = PRECISION_PATHS[path]
    torch.manual_seed(0)
    base = nn.Linear(d, d).to(device).requires_grad_(False)
    if "cast_before" in spec:
        base = base.to(spec["cast_before"])
    peers = {"hra (ours)": HRALinear(base, r, init="random", generator=torch.Generator().manual_seed(0))}
    if with_peft:
        pl = peft_layers(base, r)
        if "peft lora" in pl:
            peers["peft lora"] = pl["peft lora"].to(device)
    peers["base"] = base
    if "cast_after" in spec:
        for m in peers.values():
            m.to(spec["cast_after"])
    wdt = base.weight.dtype
    act = spec.get("autocast")
    x = torch.randn(n_tokens, d, device=device, dtype=wdt, requires_grad=input_grad)
    gy = torch.randn(n_tokens, d, device=device, dtype=act or wdt)

    def step(m):
        def run():
            with torch.autocast(device.split(":")[0], dtype=act or torch.bfloat16, enabled=act is not None):
                y = m(x)
            if y.requires_grad:
                y.backward(gy)

        return run

    runs = {k: step(m) for k, m in peers.items()}
    zero = _zero(peers.values(), x)
    med = bench(runs, device, repeats, calls, 10.0, zero)
    zero()
    u_dtype = str(peers["hra (ours)"].u.dtype).split(".")[-1]
    return med, u_dtype


def _cmd() -> str:
    return (
        "python -m benchmarks." + Path(__file__).stem + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    )


def _append(block: str) -> None:
    with RESULTS.open("a") as f:
        if RESULTS.stat().st_size == 0:
            f.write("# Benchmark results\n\nAppended by the scripts in `benchmarks/`; newest last.\n")
        f.write(block)
    print(f"\nappended to {RESULTS}")


def _mb(b: float) -> str:
    return f"{b / 2**20:.1f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=2, help="CPU threads (the issue's target uses 2)")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--quick", action="store_true", help="small grid, nothing written")
    p.add_argument("--no-peft", action="store_true")
    p.add_argument("--no-write", action="store_true")
    p.add_argument("--parts", default="layer,stack,precision", help="GPU: which tables (comma separated)")
    p.add_argument("--d", default=None, help="comma-separated d values (default: the issue's grid)")
    p.add_argument("--clock", choices=("wall", "process"), default="wall",
                   help="process: CPU time of the process, which other load on a shared machine does not "
                        "inflate (use with --threads 1)")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    global CLOCK
    CLOCK = time.process_time if a.clock == "process" else time.perf_counter
    cuda = a.device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        print("no CUDA device here", file=sys.stderr)
        return 2
    ds = tuple(int(v) for v in a.d.split(",")) if a.d else ((1024, 4096, 8192) if cuda else (256, 1024, 4096))
    parts = set(a.parts.split(",")) if cuda else {"layer"}
    if cuda:
        dtype, repeats, calls = torch.bfloat16, a.repeats or 10, 10
    else:
        dtype, repeats, calls = torch.float32, a.repeats or 15, 1
    grid = [(d, r) for d in ds for r in (8, 32)]
    if a.quick:
        grid, repeats = grid[:2], 3
    with_peft = not a.no_peft
    write = not (a.quick or a.no_write)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    kind = f"CUDA {str(dtype).split('.')[-1]}" if cuda else "CPU fp32"
    blocks = []

    if "layer" in parts:
        n = 8192 if cuda else 256
        rows = []
        for d, r in grid:
            for input_grad in (False, True):
                # the d × d peers take seconds a call on a CPU at d=4096: measured a few times only
                med, mem, rel = bench_cell(
                    d,
                    r,
                    n,
                    input_grad,
                    a.device,
                    dtype,
                    repeats,
                    with_peft,
                    1.0 if not cuda else 0.05,
                    calls,
                    peers=None if not cuda else ("hra (ours)", "peft lora", "peft hra", "base"),
                )
                rows.append((d, r, n, input_grad, med, mem, rel))
                ref = med.get("peft lora", med.get("lora (ours)"))
                line = "  ".join(f"{k}={v * 1e3:.3f}ms" for k, v in med.items())
                print(
                    f"layer d={d} r={r} N={n} x.grad={input_grad}: {line}  "
                    f"ours/lora={med['hra (ours)'] / ref:.3f}",
                    flush=True,
                )
        names = list(rows[0][4])
        ref_name = "peft lora" if "peft lora" in names else "lora (ours)"
        head = "| d | r | tokens | x needs grad | " + " | ".join(f"{n} (ms)" for n in names)
        head += (
            f" | ours / {ref_name} | peft hra / ours | peak MB ours / {ref_name} | ours vs dense rel. err |"
        )
        lines = [head, "|" + "---|" * (head.count("|") - 1)]
        for d, r, n, ig, med, mem, rel in rows:
            ours = med["hra (ours)"]
            cells = " | ".join(f"{med[k] * 1e3:.3f}" for k in names)
            pm = (
                f"{_mb(mem['hra (ours)'])} / {_mb(mem[ref_name])} ({mem['hra (ours)'] / mem[ref_name]:.3f}×)"
                if ref_name in mem
                else "-"
            )
            lines.append(
                f"| {d} | {r} | {n} | {'yes' if ig else 'no'} | {cells} | {ours / med[ref_name]:.2f} | "
                f"{med.get('peft hra', float('nan')) / ours:.1f} | {pm} | {rel:.1e} |"
            )
        table = "\n".join(lines)
        print("\n" + table)
        blocks.append(
            f"\n## Layer forward + backward, {kind} ({stamp})\n\n"
            f"- machine: {machine()}\n- command: `{_cmd()}`\n"
            f"- median of {repeats} interleaved repeats per cell (d × d peers: 3 when one step is slow)"
            + (f"; each repeat times {calls} back-to-back steps, one sync" if calls > 1 else "")
            + ("; clock: process CPU time" if a.clock == "process" else "")
            + "; peak MB: memory one step allocates above what was allocated before it"
            + (" (torch.cuda.max_memory_allocated)" if cuda else " (profiler memory events)")
            + "\n\n"
            + table
            + "\n"
        )

    if "stack" in parts:
        n = 4096
        rows = []
        for d, r in grid:
            for input_grad in (False, True):
                med, mem = bench_stack(d, r, n, input_grad, a.device, dtype, repeats, with_peft, 0.2, calls)
                rows.append((d, r, input_grad, med, mem))
                line = "  ".join(f"{k}={v * 1e3:.3f}ms" for k, v in med.items())
                lo = med.get("peft lora", float("nan"))
                print(
                    f"stack d={d} r={r} x.grad={input_grad}: {line}  ours/lora={med['hra (ours)'] / lo:.3f}",
                    flush=True,
                )
                torch.cuda.empty_cache()
        names = list(rows[0][3])
        head = "| d | r | x needs grad | " + " | ".join(f"{n} (ms)" for n in names)
        head += " | ours / peft lora | peft hra / ours | peak MB ours / peft lora |"
        lines = [head, "|" + "---|" * (head.count("|") - 1)]
        for d, r, ig, med, mem in rows:
            ours = med["hra (ours)"]
            cells = " | ".join(f"{med[k] * 1e3:.3f}" for k in names)
            pm = (
                f"{_mb(mem['hra (ours)'])} / {_mb(mem['peft lora'])} "
                f"({mem['hra (ours)'] / mem['peft lora']:.3f}×)"
                if "peft lora" in mem
                else "-"
            )
            lines.append(
                f"| {d} | {r} | {'yes' if ig else 'no'} | {cells} | "
                f"{ours / med.get('peft lora', float('nan')):.2f} | "
                f"{med.get('peft hra', float('nan')) / ours:.1f} | {pm} |"
            )
        table = "\n".join(lines)
        print("\n" + table)
        blocks.append(
            f"\n## 12-layer stack (Linear d×d, ReLU between) forward + backward, {kind}, {n} tokens "
            f"({stamp})\n\n- machine: {machine()}\n- command: `{_cmd()}`\n"
            f"- median of {repeats} interleaved repeats; each repeat "
            f"times {calls} back-to-back steps, one sync (the d × d peer: 3 repeats of one step)\n\n{table}\n"
        )

    if "precision" in parts:
        rows = []
        d, r, n = 4096, 8, 8192
        for path in PRECISION_PATHS:
            for input_grad in (False, True):
                med, u_dtype = bench_precision(path, d, r, n, input_grad, a.device, repeats, with_peft, calls)
                rows.append((path, input_grad, med, u_dtype))
                print(
                    f"precision {path} x.grad={input_grad}: "
                    + "  ".join(f"{k}={v * 1e3:.3f}ms" for k, v in med.items()),
                    flush=True,
                )
        names = list(rows[0][2])
        head = (
            "| path | x needs grad | U dtype | "
            + " | ".join(f"{n} (ms)" for n in names)
            + " | ours / peft lora |"
        )
        lines = [head, "|" + "---|" * (head.count("|") - 1)]
        for path, ig, med, u_dtype in rows:
            cells = " | ".join(f"{med[k] * 1e3:.3f}" for k in names)
            lines.append(
                f"| {path} | {'yes' if ig else 'no'} | {u_dtype} | {cells} | "
                f"{med['hra (ours)'] / med.get('peft lora', float('nan')):.2f} |"
            )
        table = "\n".join(lines)
        print("\n" + table)
        blocks.append(
            f"\n## Precision paths, one layer d={d}, r={r}, {n} tokens, CUDA ({stamp})\n\n"
            f"- machine: {machine()}\n- command: `{_cmd()}`\n- median of {repeats} interleaved repeats of "
            f"{calls} back-to-back steps; PEFT's LoRA built on the same base in the same way\n\n{table}\n"
        )
    if write:
        _append("".join(blocks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

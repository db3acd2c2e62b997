"""Forward + backward of one adapted Linear layer: our HRALinear against its peers, side by side.

    python -m benchmarks.layers                       # CPU, 2 threads, the issue's size grid
    python -m benchmarks.layers --device cuda         # GPU grid: d ∈ {4096, 8192}, 8192 tokens, bf16
    python -m benchmarks.layers --quick               # a fast smoke run (not written to RESULTS.md)

Peers, measured in one process and interleaved round by round so that machine noise hits all alike:
* ``hra (ours)``       hra_viz.core.adapters.HRALinear (picks the cheapest exact route per call)
* ``hra materialise``  a faithful PEFT-0.21-style HRA written here: builds H (d × d) and W H every call
* ``peft hra``         peft.tuners.hra.layer.HRALinear (when peft is installed)
* ``peft lora``        peft.tuners.lora.layer.Linear at the same r
* ``lora (ours)``      hra_viz.core.adapters.LoRALinear at the same r
* ``base``             the frozen nn.Linear alone

Each cell is the median of the timed repeats; the table gives ratios against PEFT's LoRA.
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


def step_time(run, device: str, calls: int = 1) -> float:
    """Seconds per step. On a GPU, ``calls`` steps run back to back before one synchronisation, as
    layers do inside a model: the host's launch overhead then overlaps the device's work."""
    sync(device)
    t0 = time.perf_counter()
    for _ in range(calls):
        run()
    sync(device)
    return (time.perf_counter() - t0) / calls


def bench_cell(d, r, n_tokens, input_grad, device, dtype, repeats, warmup, with_peft, skip_slow_s, calls=1):
    layers = make_layers(d, r, device, dtype, with_peft)
    x = torch.randn(n_tokens, d, device=device, dtype=dtype, requires_grad=input_grad)
    gy = torch.randn(n_tokens, d, device=device, dtype=dtype)
    runs = {name: one_step(layer, x, gy) for name, layer in layers.items()}
    times: dict[str, list[float]] = {k: [] for k in layers}
    slow = set()  # peers too slow to repeat many times (the d × d ones at large d on a CPU)
    for _ in range(warmup):
        for name, run in runs.items():
            if step_time(run, device, calls) > skip_slow_s:
                slow.add(name)
    for i in range(repeats):
        for name, run in runs.items():  # interleaved: every peer sees the same noise
            if name in slow and i >= 2:
                continue
            times[name].append(step_time(run, device, calls))
        for layer in layers.values():
            layer.zero_grad(set_to_none=True)
        x.grad = None
    # check that ours is exact against the materialised peer on this very cell
    with torch.no_grad():
        a = layers["hra (ours)"](x).float()
        b = layers["hra materialise"](x).float()
        rel = float((a - b).norm() / b.norm())
    return {k: statistics.median(v) for k, v in times.items()}, rel


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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=2, help="CPU threads (the issue's target uses 2)")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--quick", action="store_true", help="small grid, nothing written")
    p.add_argument("--no-peft", action="store_true")
    p.add_argument("--no-write", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    cuda = a.device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        print("no CUDA device here", file=sys.stderr)
        return 2
    if cuda:
        grid = [(d, r, 8192) for d in (4096, 8192) for r in (8, 32)]
        dtype, repeats, warmup = torch.bfloat16, a.repeats or 20, 3
    else:
        grid = [(d, r, 256) for d in (256, 1024, 4096) for r in (8, 32)]
        dtype, repeats, warmup = torch.float32, a.repeats or 15, 2
    calls = 10 if cuda else 1  # GPU: 10 steps back to back per timed block
    if a.quick:
        grid, repeats = grid[:2], 3
    with_peft = not a.no_peft
    rows = []
    for d, r, n in grid:
        for input_grad in (False, True):
            # at d=4096 on CPU the d × d peers take seconds a call: measure them a few times only
            skip = 1.0 if not cuda else 10.0
            med, rel = bench_cell(
                d, r, n, input_grad, a.device, dtype, repeats, warmup, with_peft, skip, calls
            )
            rows.append((d, r, n, input_grad, med, rel))
            ref = med.get("peft lora", med["lora (ours)"])
            line = "  ".join(f"{k}={v * 1e3:.3f}ms" for k, v in med.items())
            print(
                f"d={d} r={r} N={n} x.grad={input_grad}: {line}  ours/ref={med['hra (ours)'] / ref:.3f}",
                flush=True,
            )
    names = list(rows[0][4])
    ref_name = "peft lora" if "peft lora" in names else "lora (ours)"
    head = "| d | r | tokens | x needs grad | " + " | ".join(f"{n} (ms)" for n in names)
    head += f" | ours / {ref_name} | peft hra / ours | materialise / ours | ours vs dense rel. err |"
    sep = "|" + "---|" * (head.count("|") - 1)
    lines = [head, sep]
    for d, r, n, ig, med, rel in rows:
        ours = med["hra (ours)"]
        peft_hra = med.get("peft hra", float("nan"))
        cells = " | ".join(f"{med[k] * 1e3:.3f}" for k in names)
        lines.append(
            f"| {d} | {r} | {n} | {'yes' if ig else 'no'} | {cells} | {ours / med[ref_name]:.2f} | "
            f"{peft_hra / ours:.1f} | {med['hra materialise'] / ours:.1f} | {rel:.1e} |"
        )
    table = "\n".join(lines)
    print()
    print(table)
    if not (a.quick or a.no_write):
        cmd = (
            "python -m benchmarks."
            + Path(__file__).stem
            + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
        )
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        kind = f"{'CUDA ' + str(dtype).split('.')[-1] if cuda else 'CPU fp32'}"
        block = (
            f"\n## Layer forward + backward, {kind} ({stamp})\n\n"
            f"- machine: {machine()}\n- command: `{cmd}`\n"
            f"- median of {repeats} interleaved repeats per cell (d × d peers: fewer when one call > 1 s)"
            + (f"; each repeat times {calls} back-to-back steps, one sync" if calls > 1 else "")
            + "\n\n"
            f"{table}\n"
        )
        with RESULTS.open("a") as f:
            if RESULTS.stat().st_size == 0:
                f.write("# Benchmark results\n\nAppended by the scripts in `benchmarks/`; newest last.\n")
            f.write(block)
        print(f"\nappended to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

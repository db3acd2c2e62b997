"""How fast an exact HRA step built from cuBLAS products could be at best, against PEFT's HRA.

    python -m benchmarks.floor              # CUDA, bf16: d ∈ {4096, 8192}, r = 8, 8192 tokens, both regimes
    python -m benchmarks.floor --no-write   # print only

Issue 10 asks for an HRA step ≥ 5× faster than PEFT's HRA layer. Where the frozen layer's own step is
barely 5× faster than PEFT's HRA, that needs an adapter that costs almost nothing on top of it. This
measures the least any exact route of ours could add, with the same harness as ``benchmarks.layers``
(interleaved peers, medians of 10 back-to-back steps and one sync):

* ``base``    the frozen nn.Linear: y = x Wᵀ + b, and dx = dy W where x needs a gradient.
* ``floor``   base, plus the backward's two skinny products dZ = dy (W Û) (one read of dy) and
  S = dZᵀ x (one read of x), S returned as a parameter's gradient. ∂L/∂U needs S = ∂L/∂Mᵀ on every
  route, and S needs x after the forward, when dy exists: the frozen step's backward does not read x.
  Every exact route built from separate kernels therefore issues at least these; ours also does the
  forward's adapter (Z = x Û Γᵀ and x' or y's update), Q, dx's update and the r × r algebra. Fusing
  them into the GEMMs themselves would need custom GEMM kernels with side outputs; cuBLAS has none.
* ``floor + lora fwd``  the floor with the LoRA form's forward adapter, Z = x M and y += Z At (one
  more read of x, and y read and written): the least the LoRA and activation forms add forward.
* ``floor + merge``  the floor with W H = W + Atᵀ Mᵀ formed forward and used for y and dx (W read, W H
  written; kept, not recomputed): the least a route that merges W per step adds.
* ``floor + accum fwd``  the same forward adapter written first, y = Z At + b, with the frozen GEMM
  adding x Wᵀ onto it (β = 1: y is read in the GEMM's epilogue, not in a pass of its own).
* ``hra (ours)``, ``peft lora``, ``peft hra``: the layers of ``benchmarks.layers``; ``ours, no accum``:
  ours without ``hra_kernels.gemm_accum`` (session 9's routes, ``benchmarks.layer_variants``'s
  ``noaccum``).

The table gives PEFT HRA / each peer: where the floors with a forward are below 5, no route of these
shapes can be 5× faster than PEFT's HRA on this machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.layer_variants import Variant
from benchmarks.layers import _append, _zero, bench, machine, make_layers, one_step


class _FloorFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, W, b, Bt, Mt, s, mode: str):
        if mode == "merge":  # W H merged for the call: y = x (W + Atᵀ Mt)ᵀ + b, W H kept for dx
            W = torch.addmm(W, Bt.t(), Mt)
            y = F.linear(x, W, b)
        elif mode == "accum":  # the LoRA form's forward, the frozen GEMM adding onto y = Z At + b
            y = torch.addmm(b, F.linear(x, Mt), Bt)
            y.addmm_(x, W.t())
        else:
            y = F.linear(x, W, b)
            if mode == "lora":  # the LoRA form's forward adapter: y += (x Mᵀ) At
                y.addmm_(F.linear(x, Mt), Bt)
        ctx.save_for_backward(x, W, Bt)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, W, Bt = ctx.saved_tensors
        dZ = torch.mm(dy, Bt.t())  # (N, r): one read of dy
        S = torch.mm(dZ.t(), x)  # (r, d_in): one read of x
        dx = torch.mm(dy, W) if ctx.needs_input_grad[0] else None
        return dx, None, None, None, None, S, None


class Floor(nn.Module):
    """The frozen layer with the backward's two unavoidable skinny products (see the module notes);
    ``mode`` adds a forward adapter: none, ``lora`` (Z = x M, y += Z At) or ``merge`` (W H formed)."""

    def __init__(self, base: nn.Linear, r: int, mode: str = ""):
        super().__init__()
        self.base, self.mode = base, mode
        w = base.weight
        kw = dict(device=w.device, dtype=w.dtype)
        self.register_buffer("Bt", torch.randn(r, w.shape[0], **kw) / w.shape[0] ** 0.5)
        self.register_buffer("Mt", torch.randn(r, w.shape[1], **kw) / w.shape[1] ** 0.5)
        self.s = nn.Parameter(torch.zeros(r, w.shape[1], device=w.device, dtype=w.dtype))

    def forward(self, x):
        return _FloorFn.apply(x, self.base.weight, self.base.bias, self.Bt, self.Mt, self.s, self.mode)


def _cmd() -> str:
    return "python -m benchmarks.floor" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")


PEERS = ("base", "floor", "floor + lora fwd", "floor + merge", "floor + accum fwd", "hra (ours)",
         "ours, no accum", "peft lora", "peft hra")
RATIOS = PEERS[:7]  # PEFT HRA / each of these


def cell(d: int, r: int, n: int, x_grad: bool, repeats: int) -> dict[str, float]:
    layers = {k: v for k, v in make_layers(d, r, "cuda", torch.bfloat16, True).items() if k in PEERS}
    layers["floor"] = Floor(layers["base"], r)
    layers["floor + lora fwd"] = Floor(layers["base"], r, "lora")
    layers["floor + merge"] = Floor(layers["base"], r, "merge")
    layers["floor + accum fwd"] = Floor(layers["base"], r, "accum")
    layers["ours, no accum"] = Variant(layers["hra (ours)"], "noaccum")
    x = torch.randn(n, d, device="cuda", dtype=torch.bfloat16, requires_grad=x_grad)
    gy = torch.randn(n, d, device="cuda", dtype=torch.bfloat16)
    runs = {k: one_step(layers[k], x, gy) for k in PEERS if k in layers}
    return bench(runs, "cuda", repeats, 10, 0.05, _zero(layers.values(), x))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--d", default="4096,8192")
    ap.add_argument("--r", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=8192)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("no CUDA device here: the floor is a GPU measurement")
        return 2
    rows = []
    for d in (int(v) for v in a.d.split(",")):
        for x_grad in (False, True):
            med = cell(d, a.r, a.tokens, x_grad, a.repeats)
            if "peft hra" not in med:
                print("needs peft")
                return 2
            ms = {k: v * 1e3 for k, v in med.items()}
            rows.append(f"| {d} | {a.r} | {a.tokens} | {'yes' if x_grad else 'no'} | "
                        + " | ".join(f"{ms[k]:.3f}" for k in PEERS) + " | "
                        + " | ".join(f"{ms['peft hra'] / ms[k]:.2f}" for k in RATIOS) + " |")
            print(rows[-1], flush=True)
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"\n## The floor of an exact HRA step from cuBLAS products, CUDA bfloat16 ({when})\n\n"
        f"- machine: {machine()}\n- command: `{_cmd()}`\n"
        f"- median of {a.repeats} interleaved repeats; each repeat times 10 back-to-back steps, one sync "
        "(PEFT HRA: 3 repeats of one step when slow); floor = the frozen step + dZ = dy (W Û) and "
        "S = dZᵀ x in the backward (module notes of benchmarks/floor.py)\n\n"
        "| d | r | tokens | x needs grad | " + " | ".join(f"{k} (ms)" for k in PEERS) + " | "
        + " | ".join(f"peft hra / {k}" for k in RATIOS) + " |\n"
        + "|---" * (4 + len(PEERS) + len(RATIOS)) + "|\n" + "\n".join(rows) + "\n"
    )
    print(block)
    if not a.no_write:
        _append(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

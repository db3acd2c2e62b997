"""Numbers for the home page "HRA in one minute": parameters, spectrum kept, cost per step.

Everything runs the real adapters from ``hra_viz.core.adapters`` on one Linear layer; nothing is typed in.
"""

from __future__ import annotations

import math
import time

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from hra_viz.core import householder as hh
from hra_viz.core.adapters import adapt, trainable_parameters

__all__ = ["parameter_budget", "spectrum_kept", "step_cost", "COMPARED", "DenseHRA"]

COMPARED = ("hra", "lora", "oft", "full")
DENSE_REPS = 3  # timed repeats of the dense-H route in ``step_cost``


def _layer(d_in: int, d_out: int, seed: int, dtype=torch.float32) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d_in, d_out)).to(dtype)


def _adapted(method: str, d_in: int, d_out: int, r: int, oft_block: int, seed: int, dtype=torch.float32):
    kw = {"r": r, "seed": seed}
    if method == "oft":
        kw["block_size"] = oft_block
    if method == "hra":
        kw["init"] = "random"  # random so that the spectrum check below tests a non-identity H
    return adapt(_layer(d_in, d_out, seed, dtype), method, **kw)


def parameter_budget(d_in: int = 768, d_out: int = 768, r: int = 8, oft_block: int = 32) -> pd.DataFrame:
    """Trainable parameters of each method on one d_out × d_in Linear layer (with bias)."""
    rows = []
    full = d_in * d_out + d_out
    for m in COMPARED:
        n = trainable_parameters(_adapted(m, d_in, d_out, r, oft_block, 0))
        rows.append({"method": m, "trainable": n, "share_of_full": n / full})
    return pd.DataFrame(rows)


def spectrum_kept(
    d_in: int = 768, d_out: int = 768, r: int = 8, oft_block: int = 32, seed: int = 0
) -> pd.DataFrame:
    """max |σ_i(W') − σ_i(W)| for an update of each method with the same size ‖W' − W‖_F.

    HRA gets a random U (so H ≠ I), OFT a random skew block; LoRA and full fine-tuning get a random
    update scaled to HRA's ‖ΔW‖_F, so the comparison is at equal change of the weights. Also reports
    the largest change of an angle between two neurons (rows of W), in degrees.
    """
    g = torch.Generator().manual_seed(seed)
    rows = []
    hra = _adapted("hra", d_in, d_out, r, oft_block, seed, torch.float64)
    W = hra[0].base.weight.detach().clone()
    dW_hra = hra[0].delta_weight()
    size = float(dW_hra.norm())
    oft = _adapted("oft", d_in, d_out, r, oft_block, seed, torch.float64)
    with torch.no_grad():
        oft[0].oft_s.normal_(0.0, 0.02, generator=g)
    dW_oft = oft[0].delta_weight()
    dW_lora = torch.randn(d_out, r, generator=g, dtype=torch.float64) @ torch.randn(
        r, d_in, generator=g, dtype=torch.float64
    )
    dW_full = torch.randn(d_out, d_in, generator=g, dtype=torch.float64)
    sv = torch.linalg.svdvals(W)

    off = ~torch.eye(d_out, dtype=torch.bool)  # angles between two different neurons

    def neuron_angles(M):
        Mn = M / M.norm(dim=1, keepdim=True)
        return torch.rad2deg(torch.arccos((Mn @ Mn.T).clamp(-1.0, 1.0)))[off]

    ang = neuron_angles(W)
    for m, dW in (("hra", dW_hra), ("lora", dW_lora), ("oft", dW_oft), ("full", dW_full)):
        if m in ("lora", "full"):
            dW = dW * (size / float(dW.norm()))
        Wp = W + dW
        rows.append(
            {
                "method": m,
                "delta_norm": float(dW.norm()),
                "max_sigma_change": float((torch.linalg.svdvals(Wp) - sv).abs().max()),
                "max_neuron_angle_change_deg": float((neuron_angles(Wp) - ang).abs().max()),
            }
        )
    return pd.DataFrame(rows)


class DenseHRA(nn.Module):
    """An HRA layer computed as PEFT 0.21 does it: H = ∏ (I − 2 ûûᵀ) built as a d × d matrix on every
    call (``householder.householder_chain``), then x (W H)ᵀ + b. The same function as the HRALinear it
    copies U and the frozen base from; only the route differs."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.base = layer.base
        self.u = nn.Parameter(layer.u.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.base.weight @ hh.householder_chain(self.u), self.base.bias)


def _make_step(model: nn.Module, x: torch.Tensor, train: bool):
    params = [p for p in model.parameters() if p.requires_grad]

    def step():
        if not train:
            with torch.no_grad():
                model(x)
            return
        loss = model(x).square().mean()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p.sub_(1e-3 * g)

    return step


def step_cost(
    d_in: int = 768,
    d_out: int = 768,
    r: int = 8,
    oft_block: int = 32,
    n_tokens: int = 256,
    reps: int = 7,
    seed: int = 0,
) -> pd.DataFrame:
    """Measured ms per training step (forward + backward + SGD update) on one layer, CPU float32.

    Best of ``reps`` after one warm-up. Each timed step follows an untimed one of the same method, as in
    a training loop, and the methods' order turns from round to round: a method timed right after
    another one's step starts from the caches that step left. With a fixed order and cold steps, HRA /
    LoRA read 1.13-1.15 against 1.04-1.05 this way (medians of 12 calls in one process on this
    project's 2-core machine, session 11), and 1.125 against 1.097 over 12 fresh processes each, the
    home page's case. ``frozen`` is the layer alone with nothing to train (forward only), the
    floor every method pays; ``hra_dense`` is the same HRA layer with H built as a d × d matrix on
    every step (``DenseHRA``, PEFT 0.21's route), best of at most ``DENSE_REPS``: ten times slower
    than the others, it needs no finer figure and would otherwise take most of the time.
    """
    torch.manual_seed(seed)
    x = torch.randn(n_tokens, d_in)
    names = ("frozen", *COMPARED, "hra_dense")
    steps = {}
    for m in names:
        if m == "frozen":
            model = _layer(d_in, d_out, seed)
        elif m == "hra_dense":
            model = DenseHRA(_adapted("hra", d_in, d_out, r, oft_block, seed)[0])
        else:
            model = _adapted(m, d_in, d_out, r, oft_block, seed)
        steps[m] = _make_step(model, x, train=m != "frozen")
        steps[m]()  # warm-up
    best = dict.fromkeys(names, math.inf)
    for rep in range(reps):  # round-robin: a burst of load on a shared machine hits every method alike
        k = rep % len(names)  # the order turns each round: no method always follows the same one
        for m in names[k:] + names[:k]:
            if m == "hra_dense" and rep >= DENSE_REPS:
                continue
            if m != "hra_dense":  # timed right after an untimed step of its own, as in a training loop
                steps[m]()
            t0 = time.perf_counter()
            steps[m]()
            best[m] = min(best[m], time.perf_counter() - t0)
    rows = [{"method": m, "ms_per_step": best[m] * 1e3} for m in names]
    df = pd.DataFrame(rows)
    lora = float(df.loc[df.method == "lora", "ms_per_step"].iloc[0])
    df["vs_lora"] = df["ms_per_step"] / lora
    return df

"""Check the Triton kernels on a CPU, under Triton's interpreter, against float64 (no GPU needed).

    TRITON_INTERPRET=1 python -m benchmarks.diag_triton_cpu

Needs ``triton`` importable (CI does not install it; the GPU tests in tests/test_gpu_graphs.py are the
real check, on the device). Runs the r × r kernels (one launch, and the split reductions forced on
small d), the token pass (x' and Z forward; dU and dx backward, several blocks of rows per
program at 20000 tokens) and the LoRA pass (y += Z (W Û)ᵀ and Z forward; dU and dx backward, d_in ≠
d_out), then the whole layer's autograd node on each of its Triton routes, all in float32, and prints
the relative error of each against float64 autograd of the closed form. Exits 1 if any is above
1e-5. Some triton releases' interpreter needs a one-line fix to run these kernels
(``int(self.handle.data)`` on a one-element array in ``triton/runtime/interpreter.py``); the error
names the line if so.
"""

from __future__ import annotations

import os
import sys

import torch


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b).norm() / b.norm())


def _r_by_r(T, hh) -> list[tuple[str, float]]:
    out = []
    for d, r in ((700, 5), (1000, 20), (600, 33)):
        torch.manual_seed(d + r)
        U, S, Q = torch.randn(d, r), torch.randn(r, d), torch.randn(r, d)
        U64 = U.double().requires_grad_(True)
        Un, G = hh.wy_factors(U64)
        Mt64 = G @ Un.T
        ((Mt64 * S.double()).sum() + (Un.T * Q.double()).sum()).backward()
        keep = T.SPLIT_MIN_D
        for split in (False, True):
            T.SPLIT_MIN_D = 256 if split else 1 << 30
            try:
                _, Mt, _, saved = T.fwd(U, torch.float32)
                dU = T.bwd(saved, S, Q.clone())
            finally:
                T.SPLIT_MIN_D = keep
            tag = f"r×r d={d} r={r} {'split' if split else 'one launch'}"
            out += [(tag + " M", _rel(Mt, Mt64.detach())), (tag + " dU", _rel(dU, U64.grad))]
    return out


def _ref64(U, x, need_x: bool, hh):
    """float64 leaves U64, x64 (x64 needing a gradient where ``need_x``), Û and Z = x Û Γᵀ of the
    closed form (``householder.wy_factors``), for a pass's reference."""
    U64 = U.double().requires_grad_(True)
    x64 = x.double().requires_grad_(need_x)
    Un, G = hh.wy_factors(U64)
    return U64, x64, Un, (x64 @ Un) @ G.T


def _token_pass(T, hh) -> list[tuple[str, float]]:
    out = []
    for n, d, r in ((150, 100, 3), (300, 130, 20), (20000, 64, 4)):
        torch.manual_seed(n + d)
        U, x, g = torch.randn(d, r), torch.randn(n, d), torch.randn(n, d)
        for need_x in (False, True):
            xp, Z, saved = T.act_fwd(x, U)
            dU, dx = T.act_bwd(g.clone(), x, Z, saved, need_x)  # dx is written over its dx' argument
            U64, x64, Un, Z64 = _ref64(U, x, need_x, hh)
            xp64 = x64 + Z64 @ Un.T
            (xp64 * g.double()).sum().backward()
            tag = f"token n={n} d={d} r={r} x grad={need_x}"
            out += [(tag + " x'", _rel(xp, xp64.detach())), (tag + " Z", _rel(Z, Z64.detach())),
                    (tag + " dU", _rel(dU, U64.grad))]
            if need_x:
                out.append((tag + " dx", _rel(dx, x64.grad)))
    return out


def _lora_pass(T, TK, hh) -> list[tuple[str, float]]:
    out = []
    for n, d, do, r in ((150, 100, 70, 3), (300, 130, 200, 20), (20000, 64, 48, 4)):
        torch.manual_seed(n + d)
        U, x, W, g = torch.randn(d, r), torch.randn(n, d), torch.randn(do, d) / d**0.5, torch.randn(n, do)
        for need_x in (False, True):
            y = x @ W.T
            Ut, _, _, saved = T.fwd(U, torch.float32)
            Z = TK.lora_fwd(x, y, Ut, Ut @ W.T, saved)  # y += Z At in place
            dU, dx = TK.lora_bwd(g, x, Z, Ut, Ut @ W.T, W, saved, g @ W if need_x else None)
            U64, x64, Un, Z64 = _ref64(U, x, need_x, hh)
            y64 = x64 @ W.double().T + Z64 @ (W.double() @ Un).T
            (y64 * g.double()).sum().backward()
            tag = f"lora pass n={n} d={d}→{do} r={r} x grad={need_x}"
            out += [(tag + " y", _rel(y, y64.detach())), (tag + " Z", _rel(Z, Z64.detach())),
                    (tag + " dU", _rel(dU, U64.grad))]
            if need_x:
                out.append((tag + " dx", _rel(dx, x64.grad)))
    return out


def _layer_routes(hh) -> list[tuple[str, float]]:
    """The whole layer (``HRALinear``'s autograd node) on each of its Triton routes, the back end forced
    to "triton" on the CPU: y, dU and dx against float64 W H. A ``KernelFallbackWarning`` is an error
    here (the kernels must run, not the torch fallback)."""
    import warnings
    from unittest import mock

    from torch import nn

    from hra_viz.core.adapters import HRALinear
    from hra_viz.core.adapters import hra_kernels as K
    from hra_viz.core.adapters import hra_triton as T

    routes = {  # TOKEN_PASS_MAX_D, LORA_PASS, TRITON_FUSE_MAX_D, SPLIT_MIN_D
        "token pass": (4096, False, 0, 1 << 30),
        "lora pass": (0, True, 0, 1 << 30),
        "W in kernels": (0, False, 4096, 1 << 30),
        "W by cuBLAS": (0, False, 0, 1 << 30),
        "W by cuBLAS, split": (0, False, 0, 64),
    }
    out = []
    for name, (tok, lpass, fuse, split) in routes.items():
        for need_x in (False, True):
            torch.manual_seed(7)
            base = nn.Linear(130, 200)
            layer = HRALinear(base, r=5, init="random")
            with torch.no_grad():
                layer.u.normal_()
            x = torch.randn(300, 130).requires_grad_(need_x)
            g = torch.randn(300, 200)
            with mock.patch.multiple(K, backend_for=lambda U, cdt: "triton", TOKEN_PASS_MAX_D=tok,
                                     LORA_PASS=lpass, TRITON_FUSE_MAX_D=fuse), \
                    mock.patch.object(T, "SPLIT_MIN_D", split), warnings.catch_warnings():
                warnings.simplefilter("error", K.KernelFallbackWarning)
                route = layer.route(x)
                y = layer(x)
                y.backward(g)
            U64 = layer.u.detach().double().requires_grad_(True)
            x64 = x.detach().double().requires_grad_(need_x)
            W64, b64 = base.weight.detach().double(), base.bias.detach().double()
            y64 = x64 @ (W64 @ hh.householder_chain(U64)).T + b64
            (y64 * g.double()).sum().backward()
            tag = f"layer, {name} ({route} form) x grad={need_x}"
            out += [(tag + " y", _rel(y.detach(), y64.detach())), (tag + " dU", _rel(layer.u.grad, U64.grad))]
            if need_x:
                out.append((tag + " dx", _rel(x.grad, x64.grad)))
    return out


def main() -> int:
    if os.environ.get("TRITON_INTERPRET") != "1":
        print("set TRITON_INTERPRET=1 (this runs the kernels under Triton's CPU interpreter)")
        return 2
    try:
        from hra_viz.core import householder as hh
        from hra_viz.core.adapters import hra_token as TK
        from hra_viz.core.adapters import hra_triton as T
    except ImportError as e:
        print(f"triton is not importable here: {e}")
        return 2
    T.FAST_LAUNCH = False  # the interpreter launches through the JIT
    rows = _r_by_r(T, hh) + _token_pass(TK, hh) + _lora_pass(T, TK, hh) + _layer_routes(hh)
    worst = max(e for _, e in rows)
    for tag, e in rows:
        print(f"{tag:62s} {e:.1e}")
    print(f"worst relative error against float64: {worst:.1e} ({'ok' if worst < 1e-5 else 'TOO LARGE'})")
    return 0 if worst < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())

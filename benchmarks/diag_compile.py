"""Diagnose torch.compile(mode="reduce-overhead") of an adapted model against eager, on CUDA.

    python -m benchmarks.diag_compile

Prints, per call, the relative error of the output and of every gradient, for a few settings
(cudagraph trees on / off, mode default), so that a mismatch can be located.
"""

import copy
import sys

import torch

sys.path.insert(0, "tests")
from test_compile import model, rel, run  # noqa: E402


def check(label, dtype, x_grad, **compile_kw):
    torch._dynamo.reset()
    eager = model(device="cuda").to(dtype)
    compiled = torch.compile(copy.deepcopy(eager), fullgraph=True, **compile_kw)
    for i in range(4):
        x = torch.randn(64, 16, device="cuda", dtype=dtype, requires_grad=x_grad)
        a = run(compiled, x)
        a = (a[0].clone(), [None if g is None else g.clone() for g in a[1]])
        b = run(eager, x)
        errs = [rel(a[0], b[0])]
        errs += [float("nan") if g is None else rel(g, h) for g, h in zip(a[1], b[1], strict=False)]
        norms = [f"{float(g.norm()):.3g}/{float(h.norm()):.3g}" for g, h in zip(a[1], b[1], strict=False)]
        print(f"{label:28s} {str(dtype):15s} x_grad={x_grad} call {i}: " + " ".join(f"{e:.1e}" for e in errs),
              "norms compiled/eager", *norms)


def eager_backends(dtype, x_grad):
    from hra_viz.core.adapters import hra_kernels as K

    m = model(device="cuda").to(dtype)
    x = torch.randn(64, 16, device="cuda", dtype=dtype, requires_grad=x_grad)
    out = {}
    for be in ("torch", "triton"):
        K.set_backend(be)
        y, g = run(m, x)
        out[be] = (y.detach().clone(), [t.clone() for t in g])
    K.set_backend("auto")
    print("eager triton vs torch", dtype, f"{rel(out['triton'][0], out['torch'][0]):.1e}",
          [f"{rel(a, b):.1e} {float(a.norm()):.3g}/{float(b.norm()):.3g}"
           for a, b in zip(out["triton"][1], out["torch"][1], strict=False)])


if __name__ == "__main__":
    for dtype, xg in [(torch.float32, False), (torch.bfloat16, True)]:
        eager_backends(dtype, xg)
        check("default", dtype, xg)
        check("reduce-overhead", dtype, xg, mode="reduce-overhead")

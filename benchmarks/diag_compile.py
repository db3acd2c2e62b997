"""Diagnose torch.compile(mode="reduce-overhead") of an adapted model against eager, on CUDA.

    python -m benchmarks.diag_compile              # compiled vs eager, per setting
    python -m benchmarks.diag_compile --float64    # every route against float64 autograd (bf16, fp16)

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


def against_float64(dtype=torch.bfloat16, x_grad=True, calls=4, device="cuda"):
    """Each route's error against float64 autograd on the same (rounded) weights and inputs: eager
    (``auto``: the token pass on CUDA), eager on the torch back end, compiled, compiled with CUDA
    graphs. Prints per gradient rel. error, so a compiled-vs-eager gap can be told from both being off."""
    from hra_viz.core.adapters import hra_kernels as K

    torch._dynamo.reset()
    print(f"{dtype}: rel. error against float64 of y, then dU of each layer, then dx")
    m = model(device=device).to(dtype)
    ref = copy.deepcopy(m).double()
    routes = {"eager auto": m, "compiled": torch.compile(copy.deepcopy(m), fullgraph=True),
              "reduce-overhead": torch.compile(copy.deepcopy(m), mode="reduce-overhead", fullgraph=True)}
    for i in range(calls):
        x = torch.randn(64, 16, device=device, dtype=dtype)
        x64 = x.double().requires_grad_(x_grad)
        y64, g64 = run(ref, x64)
        out = {}
        for name, mod in routes.items():
            y, g = run(mod, x.clone().requires_grad_(x_grad))
            out[name] = (y.clone(), [t.clone() for t in g])
        K.set_backend("torch")
        try:
            out["eager torch"] = tuple(run(m, x.clone().requires_grad_(x_grad)))
        finally:
            K.set_backend("auto")
        for name, (y, g) in out.items():
            errs = [rel(y, y64)] + [rel(a, b) for a, b in zip(g, g64, strict=True)]
            print(f"{str(dtype):15s} x_grad={x_grad} call {i} {name:16s}", " ".join(f"{e:.1e}" for e in errs))


if __name__ == "__main__" and sys.argv[1:] == ["--float64"]:
    against_float64()
    against_float64(torch.float16)
elif __name__ == "__main__":
    for dtype, xg in [(torch.float32, False), (torch.bfloat16, True)]:
        eager_backends(dtype, xg)
        check("default", dtype, xg)
        check("reduce-overhead", dtype, xg, mode="reduce-overhead")

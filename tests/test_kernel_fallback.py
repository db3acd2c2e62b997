"""When the Triton kernels raise (a triton that cannot build them), the layer carries on with the torch
back end, says so once, and still computes the right function and gradients.

No GPU is needed: the Triton route is stood in for by functions that raise where a real kernel would
fail to compile, or that compute the token pass's forward with torch so that the backward's kernel
can be the one that fails. Results are checked against a naive float64 W H.
"""

import warnings

import pytest
import torch
from torch import nn

from hra_viz.core import householder as hh
from hra_viz.core.adapters import HRALinear
from hra_viz.core.adapters import hra_kernels as K


class CompileError(RuntimeError):
    """Stands for triton's CompilationError."""


def _fail(*args, **kwargs):
    raise CompileError("simulated: this triton cannot build the kernel")


@pytest.fixture
def fake_triton(monkeypatch):
    """``auto`` picks "triton" everywhere until the kernels are turned off; every global restored after."""
    monkeypatch.setattr(K, "_BACKEND", "auto")
    monkeypatch.setattr(K, "_TRITON", object())  # "importable"
    monkeypatch.setattr(K, "backend_for", lambda U, cdt: "triton" if K._TRITON is not False else "torch")
    return monkeypatch


def _layer(d_in=12, d_out=10, r=4, dtype=torch.float64):
    torch.manual_seed(0)
    base = nn.Linear(d_in, d_out).to(dtype)
    layer = HRALinear(base, r=r, init="random")
    with torch.no_grad():
        layer.u.normal_()
    return layer


def _reference(layer, x, gy):
    """y = x (W H)ᵀ + b with H built reflection by reflection in float64, and ∂⟨y, gy⟩/∂x, ∂/∂U."""
    U = layer.u.detach().to(torch.float64).clone().requires_grad_(True)
    xr = x.detach().to(torch.float64).clone().requires_grad_(x.requires_grad)
    W, b = layer.base.weight.detach().double(), layer.base.bias.detach().double()
    y = xr @ (W @ hh.householder_chain(U)).T + b
    wrt = [xr, U] if x.requires_grad else [U]
    grads = torch.autograd.grad(y, wrt, gy.double())
    return y.detach(), grads


def _run(layer, x, gy):
    layer.u.grad = None
    if x.requires_grad:
        x.grad = None
    y = layer(x)
    y.backward(gy)
    return y.detach(), ([x.grad, layer.u.grad] if x.requires_grad else [layer.u.grad])


@pytest.mark.parametrize("x_grad", [False, True])
def test_forward_kernel_failure_falls_back_once_and_stays_exact(fake_triton, x_grad):
    for name in ("act_fwd", "triton_fwd", "lora_fwd"):
        fake_triton.setattr(K, name, _fail)
    layer = _layer()
    x = torch.randn(9, 12, dtype=torch.float64, requires_grad=x_grad)
    gy = torch.randn(9, 10, dtype=torch.float64)
    with pytest.warns(K.KernelFallbackWarning, match="simulated: this triton cannot build"):
        y, grads = _run(layer, x, gy)
    assert K._TRITON is False  # off for the rest of the process
    y_ref, g_ref = _reference(layer, x, gy)
    assert torch.allclose(y, y_ref, atol=1e-12, rtol=0)
    for g, gr in zip(grads, g_ref, strict=True):
        assert torch.allclose(g, gr, atol=1e-10, rtol=0)
    with warnings.catch_warnings():  # said once: the next step goes straight to torch
        warnings.simplefilter("error")
        y2, _ = _run(layer, x, gy)
    assert torch.equal(y2, y)


def _torch_act_fwd(x2, U):
    """The token pass's forward contract (x', Z, saved = (U, small)) computed with torch."""
    A, Mt, _ = K.torch_fwd(U, x2.dtype)
    Z = x2 @ Mt.T
    return torch.addmm(x2, Z, A), Z, (U, torch.zeros(1, dtype=torch.float32))


@pytest.mark.parametrize("x_grad", [False, True])
def test_backward_kernel_failure_recomputes_on_torch(fake_triton, x_grad):
    fake_triton.setattr(K, "token_pass", lambda W: True)
    fake_triton.setattr(K, "act_fwd", _torch_act_fwd)
    fake_triton.setattr(K, "act_bwd", _fail)
    layer = _layer(d_in=16, d_out=8, r=6)
    x = torch.randn(3, 5, 16, dtype=torch.float64, requires_grad=x_grad)  # a batch of sequences
    gy = torch.randn(3, 5, 8, dtype=torch.float64)
    with pytest.warns(K.KernelFallbackWarning, match="CompileError"):
        y, grads = _run(layer, x, gy)
    y_ref, g_ref = _reference(layer, x, gy)
    assert torch.allclose(y, y_ref, atol=1e-12, rtol=0)
    for g, gr in zip(grads, g_ref, strict=True):
        assert g.shape == gr.shape and torch.allclose(g, gr, atol=1e-10, rtol=0)


@pytest.mark.parametrize("fuse", [True, False])
@pytest.mark.parametrize("x_grad", [False, True])
def test_r_by_r_backward_failure_recomputes_on_torch(fake_triton, fuse, x_grad):
    """The r × r kernels' route (no token pass): the LoRA form where x needs no gradient (with W's
    products in the kernels or in cuBLAS), the activation form where it does; its backward fails after
    a forward that ran."""

    def fwd(U, cdt, W):  # the Triton forward's contract, computed with torch
        A, Mt, _ = K.torch_fwd(U, cdt)
        return A, Mt, (None if W is None else A @ W.T), (U, torch.zeros(1))

    fake_triton.setattr(K, "token_pass", lambda W: False)
    fake_triton.setattr(K, "fuse_w", lambda W: fuse)
    fake_triton.setattr(K, "triton_fwd", fwd)
    fake_triton.setattr(K, "triton_bwd", _fail)
    layer = _layer(d_in=8, d_out=8, r=2)
    x = torch.randn(64, 8, dtype=torch.float64, requires_grad=x_grad)
    assert layer.route(x) == ("activation" if x_grad else "lora")
    gy = torch.randn(64, 8, dtype=torch.float64)
    with pytest.warns(K.KernelFallbackWarning):
        y, grads = _run(layer, x, gy)
    y_ref, g_ref = _reference(layer, x, gy)
    assert torch.allclose(y, y_ref, atol=1e-12, rtol=0)
    for g, gr in zip(grads, g_ref, strict=True):
        assert torch.allclose(g, gr, atol=1e-10, rtol=0)


def test_triton_asked_for_by_name_raises_instead(fake_triton):
    fake_triton.setattr(K, "_BACKEND", "triton")
    fake_triton.setattr(K, "act_fwd", _fail)
    fake_triton.setattr(K, "triton_fwd", _fail)
    layer = _layer()
    with pytest.raises(CompileError):
        layer(torch.randn(4, 12, dtype=torch.float64))
    assert K._TRITON is not False


def test_out_of_memory_is_not_a_kernel_failure(fake_triton):
    def oom(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("simulated out of memory")

    fake_triton.setattr(K, "act_fwd", oom)
    fake_triton.setattr(K, "triton_fwd", oom)
    with pytest.raises(torch.cuda.OutOfMemoryError):
        _layer()(torch.randn(4, 12, dtype=torch.float64))
    assert K._TRITON is not False


@pytest.mark.parametrize("shape", [(4, 16), (2, 3, 16), (2, 3, 4), (5,)])
def test_wrong_input_width_is_a_clear_error_not_a_kernel_failure(fake_triton, shape):
    """A wrong last dimension is the caller's error, said as such, on every route: it must not be taken
    for a failing kernel (which would turn the kernels off for the process)."""
    fake_triton.setattr(K, "act_fwd", _fail)
    fake_triton.setattr(K, "triton_fwd", _fail)
    layer = _layer()  # 12 → 10
    with pytest.raises(ValueError, match=r"last dimension is 12; got shape"):
        layer(torch.randn(*shape, dtype=torch.float64))
    assert K._TRITON is not False


def test_a_saved_tensor_changed_in_place_is_the_callers_error_not_a_kernel_failure(fake_triton):
    """U changed in place between a forward and its backward: autograd's version check raises, as for
    any layer, and the kernels stay on (the error is not the kernels')."""

    def fwd(U, cdt, W):
        A, Mt, _ = K.torch_fwd(U, cdt)
        return A, Mt, None, (U, torch.zeros(1))

    fake_triton.setattr(K, "token_pass", lambda W: False)
    fake_triton.setattr(K, "fuse_w", lambda W: False)
    fake_triton.setattr(K, "triton_fwd", fwd)
    layer = _layer(d_in=8, d_out=8, r=2)
    y = layer(torch.randn(64, 8, dtype=torch.float64))
    with torch.no_grad():
        layer.u.add_(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", K.KernelFallbackWarning)
        with pytest.raises(RuntimeError, match="inplace"):
            y.sum().backward()
    assert K._TRITON is not False

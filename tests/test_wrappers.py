"""An adapted model inside the wrappers people train with: activation checkpointing
(``torch.utils.checkpoint``, both implementations) and ``DistributedDataParallel`` (gloo, two CPU
processes). Each run's gradients are checked against autograd through the dense float64 model
W' = W H, with H the naive product of the reflections (``test_adapters.naive_h_autograd``, not the
layer's own code).

CUDA: ``tests/test_factor_graphs.py`` checks checkpointing where the r × r kernels replay from graphs.
"""

from __future__ import annotations

import datetime
import os

import pytest
import torch
import torch.nn.functional as F
from test_adapters import naive_h_autograd
from torch import nn
from torch.utils.checkpoint import checkpoint

from hra_viz import adapt

F64 = torch.float64


def mlp() -> nn.Module:
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(20, 32), nn.Tanh(), nn.Linear(32, 24), nn.Tanh(), nn.Linear(24, 5)).double()
    return adapt(m, "hra", r=4, init="random", seed=3)


def dense_reference(m: nn.Module, x: torch.Tensor):
    """Loss, ∂/∂U of every adapted layer, and ∂/∂x, through W H built from ``naive_h``."""
    us = {n: mod.u.detach().clone().requires_grad_(True) for n, mod in m.named_modules() if hasattr(mod, "u")}
    x = x.detach().clone().requires_grad_(True)
    h = x
    for i, name in enumerate(("0", "2", "4")):
        base = m.get_submodule(name).base
        h = F.linear(h, base.weight @ naive_h_autograd(us[name]), base.bias)
        if i < 2:
            h = torch.tanh(h)
    loss = h.square().mean()
    loss.backward()
    return loss.detach(), {n: u.grad for n, u in us.items()}, x.grad


def u_grads(m: nn.Module) -> dict[str, torch.Tensor]:
    return {n: mod.u.grad for n, mod in m.named_modules() if hasattr(mod, "u")}


def close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-10) -> bool:
    return float((a - b).abs().max()) <= tol * max(1.0, float(b.abs().max()))


# reentrant checkpointing needs an input that requires grad (PyTorch's own rule)
@pytest.mark.parametrize("use_reentrant,x_grad", [(False, False), (False, True), (True, True)])
def test_activation_checkpointing_gives_the_dense_gradients(use_reentrant, x_grad):
    m = mlp()
    x = torch.randn(16, 20, dtype=F64, generator=torch.Generator().manual_seed(1), requires_grad=x_grad)
    ref_loss, ref_u, ref_x = dense_reference(m, x)
    # two checkpointed segments, as gradient checkpointing of a deep model makes them
    h = checkpoint(m[:2], x, use_reentrant=use_reentrant)
    loss = checkpoint(m[2:], h, use_reentrant=use_reentrant).square().mean()
    loss.backward()
    assert close(loss.detach(), ref_loss, 1e-12)
    got = u_grads(m)
    assert set(got) == set(ref_u)
    for name, g in ref_u.items():
        assert got[name] is not None and close(got[name], g), name
    if x_grad:
        assert close(x.grad, ref_x)
    assert all(p.grad is None for n, p in m.named_parameters() if not n.endswith(".u"))


def _ddp_worker(rank: int, world: int, init: str, out: str) -> None:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    # loopback: gloo otherwise binds to the address the host name resolves to, which a container
    # may not have
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    # a rank that cannot reach the other fails in a minute rather than hanging the test run
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=60))
    torch.set_num_threads(1)
    m = DDP(mlp())
    x = torch.randn(16, 20, dtype=F64, generator=torch.Generator().manual_seed(1))
    m(x.chunk(world)[rank]).square().mean().backward()  # DDP averages the ranks' gradients
    torch.save(u_grads(m.module), f"{out}.{rank}")
    dist.barrier()
    # every rank's result is on disk: leave without gloo's teardown, whose threads now and then abort
    # the exiting process ("terminate called without an active exception", in torch, not in the layer)
    os._exit(0)


def test_distributed_data_parallel_averages_the_dense_gradients(tmp_path):
    import torch.distributed as dist
    import torch.multiprocessing as mp

    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("this torch has no gloo backend")
    out = tmp_path / "grads.pt"
    mp.spawn(_ddp_worker, args=(2, f"file://{tmp_path / 'init'}", str(out)), nprocs=2, join=True)
    got, other = (torch.load(f"{out}.{rank}", weights_only=True) for rank in (0, 1))
    assert all(torch.equal(got[n], other[n]) for n in got)  # the ranks hold the same averaged gradients
    m = mlp()
    x = torch.randn(16, 20, dtype=F64, generator=torch.Generator().manual_seed(1))
    _, ref_u, _ = dense_reference(m, x)  # equal halves: the mean of the halves' means is the mean
    assert set(got) == set(ref_u)
    for name, g in ref_u.items():
        assert close(got[name], g), name

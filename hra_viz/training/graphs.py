"""CUDA graphs for a Run's training step and evaluation (issue 10: the live page on a GPU).

The app's models are tiny (a digits MLP is three 64-wide layers), so on a GPU a step is nothing but
kernel launches: ~100 of them, each costing the host tens of microseconds, for microseconds of work.
Captured once in a CUDA graph, a whole step (batch gather, forward, backward, the optimiser's update
and the divergence snapshot) is one launch, then one read of the loss.

:class:`GraphedStep`
    Static input buffers (the batch indices; the training set stays on the device), Adam with
    ``capturable=True`` (its step counter lives on the device). Divergence is still caught and
    undone: the graph first copies the parameters and optimiser state into a snapshot buffer
    (``cur``), after moving the previous snapshot to ``prev``; when a replay's loss is not finite
    the Run restores ``prev``, the same state that the eager path restores (the last one whose loss
    was finite).
:class:`GraphedEval`
    Both test-set accuracies (and the HRA penalty) in one replay and one read.

Capture runs after the Run's first (eager) step, which creates the optimiser state and compiles any
Triton kernel; a capture that fails for any reason leaves the Run on its eager path.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from hra_viz.core.adapters import orthogonality_loss

__all__ = ["GraphedStep", "GraphedEval"]


def _state_tensors(opt: torch.optim.Optimizer, params) -> list[torch.Tensor]:
    out = []
    for p in params:
        st = opt.state.get(p, {})
        out += [st[k] for k in sorted(st) if torch.is_tensor(st[k])]
    return out


def _capture(body, warmup):
    """Run ``warmup`` on a side stream (lazy initialisation), then capture ``body`` in a graph."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        warmup()
    torch.cuda.current_stream().wait_stream(side)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g, capture_error_mode="thread_local"):
        out = body()
    return g, out


class GraphedStep:
    """One training step of ``run`` as a CUDA graph: ``loss, penalty = step(idx)``."""

    def __init__(self, run, snapshot):
        self.run = run
        model, opt = run.model, run.opt
        X, Y = run._train
        n, bs = X.shape[0], run.cfg.batch_size
        self.full = bs >= n
        dev = X.device
        self.idx = torch.zeros(min(bs, n), dtype=torch.long, device=dev)
        self.idx_host = torch.zeros(min(bs, n), dtype=torch.long).pin_memory()
        params = run.params
        # everything a restore must put back: parameters and the optimiser's tensors
        self.live = [p.detach() for p in params] + _state_tensors(opt, params)
        self.cur = [t.clone() for t in self.live]
        self.prev = [t.clone() for t in self.live]
        # ``cur`` starts as the snapshot the eager first step took (parameters before it; an optimiser
        # state of zeros, which Adam treats exactly as no state)
        with torch.no_grad():
            for i, (saved, _) in enumerate(snapshot):
                self.cur[i].copy_(saved)
            for t in self.cur[len(params):]:
                t.zero_()
        lam = run._lam

        def batch():
            return (X, Y) if self.full else (X[self.idx], Y[self.idx])

        penalty = run._penalty  # λ > 0 on HRA: P and ∂P/∂U in closed form, as the eager step does

        def objective():
            x, y = batch()
            return F.cross_entropy(model(x), y)

        def warmup():  # forward and backward only: no state changes, and no gradients left behind
            objective().backward()
            if penalty is not None:
                penalty.tensors_unscaled()
            opt.zero_grad(set_to_none=True)

        def body():
            torch._foreach_copy_(self.prev, self.cur)
            torch._foreach_copy_(self.cur, self.live)
            loss = objective()
            if penalty is not None:
                pen, pgrads = penalty.tensors_unscaled()  # ∂P/∂U / 4
            loss.backward()
            if penalty is not None:
                torch._foreach_add_([u.grad for u in penalty.us], pgrads, alpha=4.0 * lam)
                loss = loss.detach() + lam * pen
            else:
                pen = loss.new_zeros(())
            opt.step()
            return torch.stack([loss.detach(), pen])

        opt.zero_grad(set_to_none=True)  # backward in the graph allocates the gradients it replays into
        try:
            self.graph, self.out = _capture(body, warmup)
        except BaseException:
            opt.zero_grad(set_to_none=True)
            raise

    def __call__(self, idx_cpu: torch.Tensor | None) -> tuple[float, float]:
        if not self.full:
            self.idx_host.copy_(idx_cpu)
            self.idx.copy_(self.idx_host, non_blocking=True)
        self.graph.replay()
        loss, pen = self.out.tolist()  # the one synchronisation of the step
        return loss, pen

    @torch.no_grad()
    def restore_previous(self) -> None:
        """Parameters and optimiser state of the last step whose loss was finite."""
        torch._foreach_copy_(self.live, self.prev)


class GraphedEval:
    """Target and source test accuracy (and the HRA penalty) of ``run.model`` in one replay."""

    def __init__(self, run):
        model = run.model
        (xt, yt), (xs, ys) = run._eval["target"], run._eval["source"]
        hra = run._is_hra

        @torch.no_grad()
        def body():
            acc_t = (model(xt).argmax(-1) == yt).float().mean()
            acc_s = (model(xs).argmax(-1) == ys).float().mean()
            pen = orthogonality_loss(model) if hra else acc_t.new_zeros(())
            return torch.stack([acc_t, acc_s, pen.float()])

        model.eval()
        try:
            self.graph, self.out = _capture(body, body)
        finally:
            model.train()

    def __call__(self) -> tuple[float, float, float]:
        self.graph.replay()
        t, s, pen = self.out.tolist()
        return t, s, pen

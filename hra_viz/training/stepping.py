"""The step loop that every live run shares (``train.Run`` on the toy tasks, ``real.RealRun`` on
all-MiniLM-L6-v2): ``step(k)``, iteration and ``run_to_end`` on top of one ``_one_step``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["SteppedRun"]


class SteppedRun:
    """Mixin: a subclass sets ``cfg.steps``, ``step_count``, ``done`` and the ``status*`` fields and
    implements ``_one_step()`` (the new metric dict, or None when the run stopped, e.g. diverged)."""

    done: bool
    step_count: int
    params: list
    opt: torch.optim.Optimizer
    _snapshot: list | None

    def _one_step(self) -> dict | None:  # pragma: no cover - the subclasses' business
        raise NotImplementedError

    # the divergence guard: a subclass sets ``params``, ``opt`` and ``_snapshot = None``; it saves
    # after every finite loss and restores when a loss is not finite

    def _save_snapshot(self) -> None:
        """Keep the parameters and optimiser state whose loss was just found finite."""
        snap = []
        for p in self.params:
            st = self.opt.state.get(p)
            state = {k: (v.clone() if torch.is_tensor(v) else v) for k, v in st.items()} if st else None
            snap.append((p.detach().clone(), state))
        self._snapshot = snap

    @torch.no_grad()
    def _restore_snapshot(self) -> None:
        if self._snapshot is None:
            return
        for p, (saved, st) in zip(self.params, self._snapshot, strict=True):
            p.copy_(saved)
            if st is None:
                self.opt.state.pop(p, None)
            else:
                self.opt.state[p] = {k: (v.clone() if torch.is_tensor(v) else v) for k, v in st.items()}

    def _step_context(self):
        """Held around a batch of steps (``Run`` pins torch's CPU threads here)."""
        return contextlib.nullcontext()

    def step(self, k: int = 1) -> list[dict]:
        """Advance up to k optimiser steps (fewer if the run ends); return the new metric dicts."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise ValueError(f"k must be an integer ≥ 0; got {k!r}")
        with self._step_context():
            return self._steps(k)

    def _steps(self, k: int) -> list[dict]:
        new = []
        for _ in range(k):
            if self.done:
                break
            self.status = self.status_code = "running"
            self.status_args = {}
            m = self._one_step()
            if m is None:
                break
            new.append(m)
            if self.step_count >= self.cfg.steps:
                self.done = True
                self.status = f"finished: {self.step_count} steps"
                self.status_code, self.status_args = "finished", {"steps": self.step_count}
        return new

    def __iter__(self) -> Iterator[dict]:
        while not self.done:
            new = self.step(1)
            if not new:
                return
            yield new[0]

    def run_to_end(self):
        """Train until the configured number of steps (or divergence); return self."""
        self.step(self.cfg.steps - self.step_count)
        return self

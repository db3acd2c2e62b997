"""Where the cells of a study run: this process, a local process pool, or Ray.

``run_cells(fn, cells, backend=…)`` calls ``fn(cell)`` once per cell (a plain dict of RunConfig
fields, never a model) and returns the results in cell order. ``fn`` must be a module-level
function (it travels to other processes by reference). Every backend gives the same numbers for
the same cells: each cell builds its own Run from its config and seed, on one torch thread.

* ``local`` (default): sequential in this process when ``processes`` is None or 1, otherwise a
  spawn-context process pool of that many workers.
* ``ray``: one Ray task per cell. Ray is imported only here, when asked for, so nothing else in
  hra-viz needs it. With ``address=None`` a Ray instance is started on this machine (and shut
  down afterwards); ``address="host:6379"`` (or ``"auto"``) joins a running cluster, started with
  ``ray start --head`` (with token authentication, set ``RAY_AUTH_MODE=token`` and the head's
  token here too). This checkout's ``hra_viz`` is shipped to the cluster's workers
  (``runtime_env`` py_modules); torch and the other requirements must be installed on every node.
  Each task asks for 1 CPU, and for ``gpus_per_task`` GPUs when the cells'
  device is cuda (or ``auto`` on a cluster that has GPUs). A Ray instance that is already
  initialised (``ray.init`` called by the caller) is used as it is and left running.

A cell that raises comes back as a status dict (``status_code`` "error"), so one crash never loses
the other results.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import logging
import multiprocessing as mp
import socket
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["BACKENDS", "run_cells", "error_result", "ray_available"]

BACKENDS = ("local", "ray")
Progress = Callable[[int, int, str], None]
# A local Ray only carries small dicts: a small object store avoids reserving GBs of /dev/shm.
_LOCAL_OBJECT_STORE_BYTES = 128 * 1024**2


def error_result(e: BaseException) -> dict:
    detail = f"{type(e).__name__}: {e}"
    return {
        "status": f"error: {detail}",
        "status_code": "error",
        "status_args": {"detail": detail},
        "diverged": False,
    }


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def _import_ray():
    try:
        import ray
    except ImportError as e:  # a clear message, not a traceback, from the CLI
        raise ValueError("backend 'ray' needs the ray package: pip install -r requirements.txt") from e
    return ray


def _safe(fn, cell):
    """fn(cell), with an exception turned into an error result (runs in the worker)."""
    try:
        return fn(cell)
    except Exception as e:  # noqa: BLE001 — one bad cell must not lose the others
        return error_result(e)


def _in_worker(fn, cell):
    """_safe(fn, cell) in a worker process: one torch thread (runs step on one thread anyway)."""
    import torch

    torch.set_num_threads(1)
    return _safe(fn, cell)


def _wants_gpu(cells: Sequence[dict], cluster_gpus: float) -> bool:
    devices = {str(c.get("device", "auto")) for c in cells}
    if any(d.startswith("cuda") for d in devices):
        return True
    return "auto" in devices and cluster_gpus > 0


_AUTH_HINT = (
    "A cluster with token authentication (the default of Ray ≥ 2.59 on one machine) also needs "
    "RAY_AUTH_MODE=token here, with its token in RAY_AUTH_TOKEN or ~/.ray/auth_token."
)


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast with a clear message if host:port does not answer (ray.init would retry for minutes)."""
    if address == "auto" or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except (OSError, ValueError) as e:
        raise ValueError(
            f"cannot reach the Ray cluster at {address!r} ({e}); start it with `ray start --head` "
            "and pass the address it prints"
        ) from None


@contextlib.contextmanager
def _ray_session(address: str | None, num_cpus: int | None):
    ray = _import_ray()
    if ray.is_initialized():
        yield ray
        return
    kw: dict = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
    if address:
        # ship this checkout's hra_viz to the cluster's workers, so that every node runs the same code
        kw["runtime_env"] = {"py_modules": [str(Path(__file__).resolve().parents[1])]}
        _check_reachable(address)
        try:
            ray.init(address=address, **kw)
        except (ConnectionError, RuntimeError) as e:
            msg = f"cannot connect to the Ray cluster at {address!r} ({e}). {_AUTH_HINT}"
            raise ValueError(msg) from None
    else:
        # "local": always a new instance here, never a cluster left over from `ray start`
        ray.init(address="local", num_cpus=num_cpus, object_store_memory=_LOCAL_OBJECT_STORE_BYTES, **kw)
    try:
        yield ray
    finally:
        ray.shutdown()


def _run_ray(fn, cells, labels, progress, address, processes, gpus_per_task):
    results: list[dict | None] = [None] * len(cells)
    with _ray_session(address, processes) as ray:
        gpus = 0.0
        if _wants_gpu(cells, float(ray.cluster_resources().get("GPU", 0))):
            gpus = float(gpus_per_task)
        task = ray.remote(num_cpus=1, num_gpus=gpus, max_retries=0)(_in_worker)
        refs = [task.remote(fn, cell) for cell in cells]
        where = {ref: i for i, ref in enumerate(refs)}
        pending = list(refs)
        done_n = 0
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                i = where[ref]
                try:
                    results[i] = ray.get(ref)
                except Exception as e:  # noqa: BLE001 — a lost worker, not a bad cell
                    results[i] = error_result(e)
                done_n += 1
                if progress:
                    progress(done_n, len(cells), labels[i])
    return results


def run_cells(
    fn: Callable[[dict], dict],
    cells: Sequence[dict],
    backend: str = "local",
    processes: int | None = None,
    address: str | None = None,
    progress: Progress | None = None,
    labels: Sequence[str] | None = None,
    gpus_per_task: float = 1.0,
) -> list[dict]:
    """``[fn(cell) for cell in cells]`` on the chosen backend (see the module docstring).

    ``processes``: local pool size (None or 1: sequential here); for a local Ray, its CPU count
    (None: all of this machine's). ``progress(done, total, label)`` is called after every cell, in
    completion order. Results come back in cell order.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    if processes is not None and processes < 1:
        raise ValueError(f"processes must be ≥ 1; got {processes}")
    if gpus_per_task <= 0:
        raise ValueError(f"gpus_per_task must be > 0; got {gpus_per_task}")
    cells = list(cells)
    labels = list(labels) if labels is not None else [str(i) for i in range(len(cells))]
    total = len(cells)
    if not cells:
        return []
    if backend == "ray":
        return _run_ray(fn, cells, labels, progress, address, processes, gpus_per_task)
    results: list[dict | None] = [None] * total
    if processes is not None and processes > 1 and total > 1:
        ctx = mp.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=processes, mp_context=ctx) as pool:
            futs = {pool.submit(functools.partial(_in_worker, fn), cell): i for i, cell in enumerate(cells)}
            for done, fut in enumerate(cf.as_completed(futs), 1):
                i = futs[fut]
                try:
                    results[i] = fut.result()
                except Exception as e:  # noqa: BLE001 — a worker crash must not lose the other rows
                    results[i] = error_result(e)
                if progress:
                    progress(done, total, labels[i])
    else:
        for i, cell in enumerate(cells):
            results[i] = _safe(fn, cell)
            if progress:
                progress(i + 1, total, labels[i])
    return results  # type: ignore[return-value]

"""Built-in tasks: deterministic data, a competent frozen base, a visible shift, a safetensors cache."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from hra_viz.training import tasks as T

TASK_NAMES = list(T.TASKS)


@pytest.fixture(autouse=True, scope="module")
def _isolated_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("HRA_VIZ_CACHE", str(tmp_path_factory.mktemp("hra_cache")))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread avoids contention on a shared machine
    T.clear_memory_cache()
    yield
    T.clear_memory_cache()
    torch.set_num_threads(threads)
    mp.undo()


# (task, min base source accuracy, min gap source − target for the frozen base)
BASE_CASES = [
    ("digits-rotate", 0.93, 0.5),
    ("digits-noise", 0.93, 0.2),
    ("digits-occlude", 0.93, 0.2),
    ("moons-rotate", 0.95, 0.15),
]


@pytest.mark.parametrize("name,min_src,min_gap", BASE_CASES)
def test_base_is_competent_and_target_is_shifted(name, min_src, min_gap):
    task = T.load_task(name)
    assert task.base_acc["source"] >= min_src
    assert task.base_acc["source"] - task.base_acc["target"] >= min_gap
    for split in ("source_train", "source_test", "target_train", "target_test"):
        s = task.splits[split]
        assert s.x.dtype == torch.float32 and s.y.dtype == torch.int64 and len(s.x) == len(s.y)
    # source and target share labels, differ in inputs; train and test are disjoint in size
    assert torch.equal(task.source_train.y, task.target_train.y)
    assert not torch.equal(task.source_train.x, task.target_train.x)
    assert not any(p.requires_grad for p in task.base_model.parameters())


@pytest.mark.parametrize("name", TASK_NAMES)
def test_every_layer_admits_r32_and_oft_blocks(name):
    task = T.load_task(name)
    for m in task.base_model.modules():
        if isinstance(m, nn.Linear):
            assert m.in_features >= 32
            assert all(m.in_features % b == 0 for b in (2, 4, 8))


@pytest.mark.parametrize("name", TASK_NAMES)
def test_spec_describes_the_shift(name):
    spec = T.TASKS[name]
    assert isinstance(spec.conflicts_with_source, bool)
    assert spec.description_en and spec.description_ja
    assert spec.conflicts_with_source == (spec.shift == "rotate")


@pytest.mark.parametrize("name", ["digits-noise", "moons-rotate"])  # noise: the random shift
def test_data_is_deterministic_given_seed(name):
    a = T.load_task(name, seed=3, use_disk=False)
    T.clear_memory_cache()
    b = T.load_task(name, seed=3, use_disk=False)
    assert a is not b
    for k in a.splits:
        assert torch.equal(a.splits[k].x, b.splits[k].x)
    for pa, pb in zip(a.base_model.state_dict().values(), b.base_model.state_dict().values(), strict=True):
        assert torch.equal(pa, pb)


def test_disk_cache_is_safetensors_and_reloads_the_same_weights():
    from safetensors import safe_open

    task = T.load_task("digits-rotate", seed=1)
    files = list(T.cache_dir().glob(f"digits-rotate-{task.key}.safetensors"))
    assert len(files) == 1
    with safe_open(str(files[0]), framework="pt") as f:
        assert f.metadata()["code_version"] == T.CODE_VERSION
        keys = set(f.keys())
    assert keys == set(task.base_model.state_dict())
    T.clear_memory_cache()
    again = T.load_task("digits-rotate", seed=1)
    for k, v in task.base_model.state_dict().items():
        assert torch.equal(v, again.base_model.state_dict()[k])
    # a different setting is a different cache entry
    assert T.load_task("digits-rotate", seed=1, angle=30.0).key != task.key


def test_rotation_is_exact_on_the_pixel_grid():
    rng = np.random.default_rng(0)
    X = rng.random((5, 64))
    assert np.allclose(T.rotate_images(X, 0.0), X)
    assert np.allclose(T.rotate_images(X, 360.0), X, atol=1e-12)
    # 90° maps pixel centres onto pixel centres: a pure counter-clockwise permutation
    r90 = T.rotate_images(X, 90.0).reshape(5, 8, 8)
    assert np.allclose(r90, np.rot90(X.reshape(5, 8, 8), k=1, axes=(1, 2)))
    # rotating by a then b equals a + b on the grid when both are multiples of 90°
    assert np.allclose(T.rotate_images(T.rotate_images(X, 90.0), 180.0), T.rotate_images(X, 270.0))
    # bilinear weights of each output pixel sum to at most 1 (mass outside the image is dropped)
    M = T.rotation_matrix(8, 8, 45.0)
    assert (M >= 0).all() and (M.sum(1) <= 1 + 1e-12).all()


def test_shifted_data_do_not_depend_on_the_blas_threads(tmp_path):
    """A worker started with OMP_NUM_THREADS=1 (as Ray starts its workers) builds the same rotated
    data, bit for bit, as this process: the rotation's products do not go through BLAS, whose
    rounding depends on its thread count (before: the pilot's drift differed on Ray in the 7th digit)."""
    code = (
        "import sys, numpy as np; from hra_viz.training import tasks as T; "
        "np.save(sys.argv[1], np.concatenate([T.load_task(n, use_disk=False).target_train.x.numpy().ravel() "
        "for n in ('digits-rotate', 'moons-rotate')]))"
    )
    out = tmp_path / "w.npy"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, timeout=120)
    here = np.concatenate([T.load_task(n, use_disk=False).target_train.x.numpy().ravel()
                           for n in ("digits-rotate", "moons-rotate")])
    assert np.array_equal(np.load(out), here)
    # and the product is X Mᵀ: against a float64 reference, rounded once
    X = np.random.default_rng(1).random((7, 64)).astype(np.float32)
    M = T.rotation_matrix(8, 8, 30.0)
    assert np.abs(T.rotate_images(X, 30.0) - X.astype(np.float64) @ M.T).max() < 1e-6


def test_task_params_are_validated():
    with pytest.raises(ValueError, match="task must be one of"):
        T.load_task("cifar")
    with pytest.raises(ValueError, match=r"angle must be in \[-180.0, 180.0\]"):
        T.load_task("digits-rotate", angle=500.0)


def test_decision_grid_returns_probabilities():
    task = T.load_task("moons-rotate")
    xx, yy, probs = T.decision_grid(task.base_model, task, n=21)
    assert xx.shape == yy.shape == (21, 21) and probs.shape == (21, 21, 2)
    assert np.allclose(probs.sum(-1), 1.0, atol=1e-5)
    assert xx[0, 0] < xx[0, -1] and yy[0, 0] < yy[-1, 0]
    # the base classifies its own source points: grid probabilities at those points agree
    pts = torch.tensor(np.stack([xx.ravel(), yy.ravel()], 1), dtype=torch.float32)
    direct = torch.softmax(task.base_model(pts), -1).reshape(21, 21, 2).numpy()
    assert np.allclose(direct, probs, atol=1e-6)

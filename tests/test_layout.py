"""The package layout is part of the design: layers, a small top level, short files, one public API.

The import direction between layers is checked by ``lint-imports`` (pyproject.toml); these tests check
what a layers contract cannot say.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "hra_viz"
# triton: the GPU kernel language that ships with torch's CUDA builds; only
# hra_viz/core/adapters/hra_triton.py and hra_token.py import it, lazily, and the core falls back to
# torch without it
CORE_ALLOWED = {"torch", "numpy", "safetensors", "hra_viz", "triton"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted((PKG / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(PKG)))
def test_core_imports_only_torch_numpy_safetensors(path):
    foreign = _imported_roots(path) - CORE_ALLOWED - set(sys.stdlib_module_names) - {"__future__"}
    assert not foreign, (
        f"{path.name} imports {sorted(foreign)}; the core may import only {sorted(CORE_ALLOWED)}"
    )


def test_top_level_stays_small_and_files_short():
    top = sorted(p.name for p in PKG.glob("*.py"))
    assert len(top) <= 6, top
    for layer in ("core", "training", "text", "views", "app"):
        assert (PKG / layer / "__init__.py").exists(), layer
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in PKG.rglob("*.py")}
    long = {name: n for name, n in sizes.items() if n > 620}
    assert not long, f"files over ~600 lines: {long}"


def test_public_api():
    import hra_viz
    from hra_viz import (  # noqa: F401  (the README's engine example imports exactly these)
        HRALinear,
        LoRALinear,
        OFTLinear,
        adapt,
        householder_chain,
        load_hra_adapter,
        save_hra_adapter,
        wy_factors,
    )

    for name in hra_viz.__all__:
        assert getattr(hra_viz, name) is not None, name
    from hra_viz.core.adapters import HRALinear as H

    assert HRALinear is H


def test_engine_imports_without_streamlit():
    code = (
        "import sys, hra_viz, hra_viz.cli, hra_viz.training.train, hra_viz.views.figures, "
        "hra_viz.views.live, "
        "hra_viz.text; assert 'streamlit' not in sys.modules, 'the engine imported streamlit'"
    )
    import subprocess

    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")), ids=lambda p: str(p.relative_to(PKG)))
def test_no_engine_file_imports_streamlit(path):
    assert "streamlit" not in _imported_roots(path), f"{path.name}: the Streamlit glue belongs in ui/"

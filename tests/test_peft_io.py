"""PEFT HRA adapters: round trips with files written and read by peft itself, and hostile files."""

import copy
import io
import json
import struct
import zipfile

import pytest
import torch
from torch import nn

from hra_viz.core import peft_io
from hra_viz.core.adapters import HRALinear
from hra_viz.core.peft_io import CONFIG_NAME, WEIGHTS_NAME

peft = pytest.importorskip("peft")

TARGETS = ["q_proj", "v_proj", "down_proj"]


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.self_attn = nn.Module()
        self.self_attn.q_proj = nn.Linear(16, 16)
        self.self_attn.v_proj = nn.Linear(16, 8, bias=False)
        self.mlp = nn.Module()
        self.mlp.down_proj = nn.Linear(8, 16)

    def forward(self, x):
        x = x + self.self_attn.q_proj(x)
        return x + self.mlp.down_proj(torch.tanh(self.self_attn.v_proj(x)))


class Tiny(nn.Module):
    """Named like a Hugging Face decoder: model.layers.<i>.self_attn.q_proj, …"""

    def __init__(self, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.model = nn.Module()
        self.model.layers = nn.ModuleList([Block(), Block()])
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        for b in self.model.layers:
            x = b(x)
        return self.head(x)


PROJ = ("self_attn.q_proj", "self_attn.v_proj", "mlp.down_proj")
MODULES = [f"model.layers.{i}.{p}" for i in range(2) for p in PROJ]


def _peft_vectors(pm) -> dict:
    return {
        n.removeprefix("base_model.model.").removesuffix(".hra_u.default"): p.detach().clone()
        for n, p in pm.named_parameters()
        if n.endswith("hra_u.default")
    }


def _random_vectors(model, r=4, seed=1, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return {n: torch.randn(model.get_submodule(n).in_features, r, generator=g, dtype=dtype) for n in MODULES}


# --------------------------------------------------------------------------------------------
# round trips with peft


@pytest.mark.parametrize("init_weights", [True, False])
def test_load_what_peft_saves(tmp_path, init_weights):
    base = Tiny()
    config = peft.HRAConfig(r=4, target_modules=TARGETS, init_weights=init_weights)
    pm = peft.get_peft_model(copy.deepcopy(base), config)
    pm.save_pretrained(tmp_path)
    with open(tmp_path / WEIGHTS_NAME, "rb") as f:  # the key format we rely on, as peft writes it
        (n,) = struct.unpack("<Q", f.read(8))
        keys = set(json.loads(f.read(n))) - {"__metadata__"}
    assert keys == {f"base_model.model.{m}.hra_u" for m in MODULES}

    ad = peft_io.load_hra_adapter(tmp_path)
    assert ad.r == 4 and ad.config["peft_type"] == "HRA" and not ad.apply_gs
    want = _peft_vectors(pm)
    assert set(ad.vectors) == set(MODULES) == set(want)
    for m in MODULES:
        assert ad.vectors[m].shape == (base.get_submodule(m).in_features, 4)
        assert torch.equal(ad.vectors[m], want[m])
    # the same adapter as the two files, and as a zip with a folder inside
    files = [tmp_path / CONFIG_NAME, tmp_path / WEIGHTS_NAME]
    assert torch.equal(peft_io.load_hra_adapter(files).vectors[MODULES[0]], want[MODULES[0]])
    zpath = tmp_path / "a.zip"
    zpath.write_bytes(peft_io.adapter_zip({f"my-adapter/{p.name}": p.read_bytes() for p in files}))
    assert torch.equal(peft_io.load_hra_adapter(zpath).vectors[MODULES[-1]], want[MODULES[-1]])


@pytest.mark.parametrize("apply_gs", [False, True])
def test_peft_loads_what_we_save_and_computes_the_same(tmp_path, apply_gs):
    base = Tiny()
    vectors = _random_vectors(base)
    peft_io.save_hra_adapter(vectors, tmp_path, apply_GS=apply_gs)
    pm = peft.PeftModel.from_pretrained(copy.deepcopy(base), tmp_path).eval()
    got = _peft_vectors(pm)
    assert set(got) == set(vectors)
    for m, U in vectors.items():
        assert torch.equal(got[m], U)

    ours = copy.deepcopy(base)  # our HRALinear with the same u in every target
    for m, U in vectors.items():
        parent, _, child = m.rpartition(".")
        layer = HRALinear(ours.get_submodule(m), r=4, variant="orthonormal" if apply_gs else "chain")
        with torch.no_grad():
            layer.u.copy_(U)
        setattr(ours.get_submodule(parent), child, layer)
    x = torch.randn(5, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.allclose(pm(x), ours(x), atol=1e-5)
    assert peft_io.load_hra_adapter(tmp_path).apply_gs is apply_gs


def test_dtypes_round_trip(tmp_path):
    for dt in (torch.float64, torch.bfloat16, torch.float16):
        vectors = {k: v.to(dt) for k, v in _random_vectors(Tiny()).items()}
        peft_io.save_hra_adapter(vectors, tmp_path / str(dt))
        back = peft_io.load_hra_adapter(tmp_path / str(dt)).vectors
        assert all(back[k].dtype == dt and torch.equal(back[k], v) for k, v in vectors.items())


def test_export_run_zip_loads_in_peft(tmp_path):
    from safetensors.torch import load_file

    from hra_viz.training.tasks import load_task
    from hra_viz.training.train import Run, RunConfig

    run = Run(RunConfig(task="moons-rotate", r=4, steps=5, seed=3))
    run.step(5)
    blob = peft_io.export_run_zip(run)
    ad = peft_io.parse_upload([("run.zip", blob)])
    assert ad.r == 4 and set(ad.vectors) == {"net.0", "net.2", "net.4"}
    assert torch.equal(ad.vectors["net.2"], run.model.get_submodule("net.2").u.detach())
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        readme = zf.read("README.md").decode()
        zf.extractall(tmp_path)
    assert "PeftModel.from_pretrained" in readme and "net.0" in readme and "読み込み" in readme
    base = copy.deepcopy(load_task("moons-rotate", seed=0).base_model)
    base.load_state_dict(load_file(tmp_path / "base_model.safetensors"))
    pm = peft.PeftModel.from_pretrained(base, tmp_path / "hra-adapter").eval()
    x = torch.randn(7, 2, generator=torch.Generator().manual_seed(0))
    run.model.eval()
    with torch.no_grad():
        assert torch.allclose(pm(x), run.model(x), atol=1e-5)


def test_export_refuses_other_methods():
    from hra_viz.training.train import Run, RunConfig

    with pytest.raises(ValueError, match="only HRA runs"):
        peft_io.export_run_zip(Run(RunConfig(task="moons-rotate", method="lora", steps=1)))


# --------------------------------------------------------------------------------------------
# hostile files: every one raises ValueError with a message that says what is wrong


def _good(r=4) -> dict:
    return peft_io.adapter_files({"model.layers.0.self_attn.q_proj": torch.randn(16, r)})


def _cfg(**kw) -> bytes:
    cfg = json.loads(_good()[CONFIG_NAME])
    cfg.update(kw)
    return json.dumps(cfg).encode()


def _weights(tensors: dict) -> bytes:
    from safetensors.torch import save

    return save(tensors)


def _header_lies() -> bytes:
    w = bytearray(_good()[WEIGHTS_NAME])
    w[:8] = struct.pack("<Q", 10**9)
    return bytes(w)


K = "base_model.model.a.hra_u"


def _f(w=None, **cfg) -> dict:
    """adapter files with config fields ``cfg`` changed and weights ``w`` (tensors dict or raw bytes)."""
    if isinstance(w, dict):
        w = _weights(w)
    return {CONFIG_NAME: _cfg(**cfg), WEIGHTS_NAME: _good()[WEIGHTS_NAME] if w is None else w}


def _bad_json(text: bytes) -> dict:
    return {CONFIG_NAME: text, WEIGHTS_NAME: _good()[WEIGHTS_NAME]}


NAN, INF = float("nan"), float("inf")
HOSTILE = [
    ("bin only", {"adapter_model.bin": b"\x80\x04pickle", CONFIG_NAME: _cfg()}, "pickle"),
    ("no config", {WEIGHTS_NAME: _good()[WEIGHTS_NAME]}, "adapter_config.json is missing"),
    ("bad json", _bad_json(b'{"peft_type": "HRA", "r": 4'), "not valid JSON"),
    ("json list", _bad_json(b"[1, 2]"), "JSON object"),
    ("not utf8", _bad_json(b"\xff\xfe{}"), "not valid JSON"),
    ("lora config", _f(peft_type="LORA"), "not 'HRA'"),
    ("r not int", _f(r="8"), "positive integer"),
    ("r zero", _f(r=0), "positive integer"),
    ("truncated", _f(_good()[WEIGHTS_NAME][:-10]), "truncated"),
    ("tiny", _f(b"\x01\x02"), "truncated"),
    ("header lies", _f(_header_lies()), "truncated or corrupt"),
    ("garbage", _f(struct.pack("<Q", 4) + b"nope" + b"\0" * 8), "not valid JSON"),
    ("shape vs r", _f({K: torch.randn(16, 3)}, r=4), "disagrees with r=4"),
    ("1-D", _f({K: torch.randn(16)}, r=4), "must be 2-D"),
    ("3-D", _f({K: torch.randn(2, 16, 4)}, r=4), "must be 2-D"),
    ("nan", _f({K: torch.tensor([[1.0, NAN]] * 3)}, r=2), "NaN"),
    ("inf", _f({K: torch.tensor([[1.0, INF]] * 3)}, r=2), "inf"),
    ("zero column", _f({K: torch.tensor([[1.0, 0.0]] * 3)}, r=2), "zero"),
    ("int dtype", _f({K: torch.ones(3, 2, dtype=torch.int32)}, r=2), "floats"),
    ("no hra_u", _f({"x.lora_A": torch.ones(3, 2)}, r=2), "no '…hra_u'"),
    ("bad name", _f({"a.hra_u": torch.ones(3, 2)}, r=2), "base_model.model"),
]


@pytest.mark.parametrize("name,files,message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_raise_clear_errors(name, files, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        peft_io.read_adapter_files(files)
    # the same through a directory on disk
    for fname, blob in files.items():
        (tmp_path / fname).write_bytes(blob)
    with pytest.raises(ValueError, match=message):
        peft_io.load_hra_adapter(tmp_path)


def test_bin_only_directory_says_why(tmp_path):
    pm = peft.get_peft_model(Tiny(), peft.HRAConfig(r=2, target_modules=TARGETS))
    pm.save_pretrained(tmp_path, safe_serialization=False)  # writes adapter_model.bin (a pickle)
    assert (tmp_path / "adapter_model.bin").exists() and not (tmp_path / WEIGHTS_NAME).exists()
    with pytest.raises(ValueError, match="never opened"):
        peft_io.load_hra_adapter(tmp_path)


def test_oversized_files_are_refused_before_reading(tmp_path, monkeypatch):
    peft_io.save_hra_adapter(_random_vectors(Tiny()), tmp_path / "a")
    monkeypatch.setattr(peft_io, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValueError, match="over the"):
        peft_io.load_hra_adapter(tmp_path / "a")
    with pytest.raises(ValueError, match="over the"):
        peft_io.parse_upload([("x.safetensors", b"\0" * 101), (CONFIG_NAME, _cfg())])


def test_too_many_tensors(monkeypatch):
    files = peft_io.adapter_files(_random_vectors(Tiny()))
    monkeypatch.setattr(peft_io, "MAX_TENSORS", 3)
    with pytest.raises(ValueError, match="more than the limit"):
        peft_io.read_adapter_files(files)


def _zip(entries: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for n, b in entries.items():
            zf.writestr(n, b)
    return buf.getvalue()


ZIPS = [
    ("traversal", lambda: _zip({f"../{k}": v for k, v in _good().items()}), "path traversal"),
    ("absolute", lambda: _zip({f"/etc/{k}": v for k, v in _good().items()}), "path traversal"),
    ("bomb", lambda: _zip({**_good(), "pad.bin": b"\0" * (20 * 2**20)}), "zip bomb"),
    ("two adapters", lambda: _zip({f"{d}/{k}": v for d in "ab" for k, v in _good().items()}), "2 adapters"),
    ("not a zip", lambda: b"PK\x03\x04" + b"\0" * 50, "not a valid zip"),
    ("bin in zip", lambda: _zip({"adapter_model.bin": b"x", CONFIG_NAME: _cfg()}), "pickle"),
    ("many entries", lambda: _zip({f"f{i}": b"" for i in range(100)}), "entries"),
]


@pytest.mark.parametrize("name,make,message", ZIPS, ids=[z[0] for z in ZIPS])
def test_hostile_zips(name, make, message, tmp_path):
    blob = make()
    with pytest.raises(ValueError, match=message):
        peft_io.parse_upload([("adapter.zip", blob)])
    (tmp_path / "a.zip").write_bytes(blob)
    with pytest.raises(ValueError, match=message):
        peft_io.load_hra_adapter(tmp_path / "a.zip")


def test_upload_forms():
    files = _good()
    a = peft_io.parse_upload(list(files.items()))
    b = peft_io.parse_upload([("x.zip", peft_io.adapter_zip(files))])
    assert torch.equal(*(ad.vectors["model.layers.0.self_attn.q_proj"] for ad in (a, b)))
    with pytest.raises(ValueError, match="no file"):
        peft_io.parse_upload([])
    with pytest.raises(ValueError, match="not both"):
        peft_io.parse_upload([("x.zip", peft_io.adapter_zip(files)), *files.items()])


def test_save_refuses_bad_vectors(tmp_path):
    with pytest.raises(ValueError, match="share one r"):
        peft_io.save_hra_adapter({"a": torch.randn(4, 2), "b": torch.randn(4, 3)}, tmp_path)
    with pytest.raises(ValueError, match="NaN"):
        peft_io.save_hra_adapter({"a": torch.full((4, 2), float("nan"))}, tmp_path)
    with pytest.raises(ValueError, match="2-D"):
        peft_io.save_hra_adapter({"a": torch.randn(4)}, tmp_path)
    with pytest.raises(ValueError, match="peft_type"):
        peft_io.save_hra_adapter({"a": torch.randn(4, 2)}, tmp_path, peft_type="LORA")

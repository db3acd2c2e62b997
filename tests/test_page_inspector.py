"""AppTest: the adapter inspector page (built-in example, uploads through st.file_uploader, errors)."""

import torch
from apptest_util import figs, open_page, open_sections
from plotly_json import arr

from hra_viz.core import peft_io
from hra_viz.views import inspector

PAGE = "pages/inspector.py"


def _upload(at, files):
    at.file_uploader(key="insp_upload").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(**query):
    """The page with its folded sections (Gram/Γ, mirrors) opened, as after two clicks."""
    return open_sections(open_page(PAGE, **query))


def test_example_renders_with_table_and_figures():
    at = open_page(PAGE)
    assert len(figs(at)) == 1  # issue 13: the first paint draws the per-layer chart only
    table = at.table[0].value  # a small table is static HTML, formatted (no data grid to load)
    assert list(table.iloc[:, 0]) == ["net.0", "net.2", "net.4"] and table.iloc[0, 3].count(".") == 1
    assert len(table.iloc[0, 3].split(".")[1]) == 4
    at = open_sections(at)
    assert at.title[0].value == "Inspect a PEFT HRA adapter"
    assert any("built-in example" in i.value for i in at.info)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["adapted layers"] == "3" and metrics["trainable parameters"] == f"{3 * 64 * 8:,}"
    f = figs(at)
    assert len(f) == 3
    ad = inspector.example_adapter(0)
    gram = inspector.layer_detail(ad.vectors["net.0"])["gram"]
    assert arr(f[1]["data"][0]["z"]).shape == (8, 8)
    assert abs(arr(f[1]["data"][0]["z"]) - gram).max() < 1e-12


def test_changing_the_layer_changes_the_figures():
    at = _open()
    before = arr(figs(at)[1]["data"][0]["z"])
    at.selectbox(key="insp_layer").set_value("net.4").run()
    assert not at.exception
    after = arr(figs(at)[1]["data"][0]["z"])
    assert after.shape == before.shape and abs(after - before).max() > 1e-3
    assert "net.4" in figs(at)[2]["layout"]["title"]["text"]


def test_japanese():
    at = open_page(PAGE, lang="ja")
    assert at.title[0].value == "PEFT の HRA アダプタを診断する"
    assert any("組み込みの例" in i.value for i in at.info)


def test_upload_two_files_and_zip():
    g = torch.Generator().manual_seed(0)
    vectors = {f"model.layers.{i}.self_attn.q_proj": torch.randn(32, 4, generator=g) for i in range(5)}
    files = peft_io.adapter_files(vectors)
    at = _upload(_open(), [(n, b, "application/octet-stream") for n, b in files.items()])
    assert any("5 adapted layers" in s.value for s in at.success)
    assert {m.label: m.value for m in at.metric}["adapted layers"] == "5"
    assert arr(figs(at)[1]["data"][0]["z"]).shape == (4, 4)
    at = _upload(open_page(PAGE), [("adapter.zip", peft_io.adapter_zip(files), "application/zip")])
    assert {m.label: m.value for m in at.metric}["adapted layers"] == "5"


def test_bad_uploads_show_an_error_and_keep_the_example():
    bad = [
        [("adapter_model.bin", b"\x80\x04junk", "application/octet-stream")],
        [("adapter_config.json", b'{"peft_type": "LORA", "r": 8}', "application/json"),
         ("adapter_model.safetensors", b"\x00" * 20, "application/octet-stream")],
        [("adapter.zip", b"PK\x03\x04 not really a zip", "application/zip")],
    ]
    for files in bad:
        at = _upload(_open(), files)
        assert at.error, files
        assert "could not be read" in at.error[0].value
        assert any("built-in example" in i.value for i in at.info)
        assert len(figs(at)) == 3
    at = _upload(open_page(PAGE, lang="ja"), bad[0])
    assert "読み込めませんでした" in at.error[0].value and "pickle" in at.error[0].value

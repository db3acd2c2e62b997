"""AppTest: the budget calculator page (cost on your model)."""

from apptest_util import figs, open_page
from plotly_json import arr

from hra_viz.views import budget

PAGE = "pages/budget.py"


def _params(at) -> list[float]:
    return arr(figs(at)[0]["data"][0]["y"]).tolist()


def test_renders_default_llama2():
    at = open_page(PAGE)
    assert at.title[0].value == "What would HRA cost on our model?"
    want = [budget.trainable_parameters("llama2-7b", m, r=8) for m in ("hra", "lora", "oft", "full")]
    assert _params(at) == want
    text = " ".join(m.value for m in at.markdown)
    assert "9,109,504" in text and "19,988,480" in text
    assert not at.dataframe  # issue 13: a 4-row table is static HTML, no data grid to load
    table = at.table[0].value
    assert list(table.iloc[:, 1]) == [f"{n:,}" for n in want]  # formatted as the grid showed them
    assert table.iloc[1, 5] == "1.2e+08" and table.iloc[1, 6] == "–"


def test_controls_change_the_figure():
    at = open_page(PAGE)
    at.slider(key="r").set_value(32).run()
    assert _params(at)[0] == 36_438_016
    at.selectbox(key="arch").set_value("deberta-v3-base").run()
    assert _params(at)[:2] == [2_654_208, 5_308_416]
    at.segmented_control(key="targets").set_value("qv").run()
    assert _params(at)[0] == 12 * 32 * 2 * 768


def test_japanese():
    at = open_page(PAGE, lang="ja")
    assert at.title[0].value == "自社モデルで HRA を使うとどれだけかかるか"
    assert any("パラメータ数" in m.value for m in at.markdown)


def test_bad_query_params_are_clamped_with_a_warning():
    at = open_page(PAGE, arch="gpt-9", r="1e9", block="<b>", tokens="-3", methods=["hra", "dora"])
    text = " ".join(w.value for w in at.warning)
    assert "arch=" in text and "r=" in text and "block=" in text and "tokens=" in text and "methods=" in text
    assert at.selectbox(key="arch").value == "llama2-7b" and at.slider(key="r").value == 64
    assert len(_params(at)) == 1  # only hra survived from the URL's methods


def test_custom_table():
    # AppTest cannot edit st.data_editor cells; the table's validation is tested in test_budget.py.
    at = open_page(PAGE, arch="custom")
    assert not at.error
    want = budget.trainable_parameters(
        budget.custom_arch([("a", 1024, 3072, 24, True), ("b", 1024, 1024, 24, True),
                            ("c", 1024, 4096, 24, True), ("d", 4096, 1024, 24, True)]), "hra", r=8)
    assert _params(at)[0] == want

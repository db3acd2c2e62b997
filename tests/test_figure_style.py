"""Figure titles fit a narrow column: long subplot titles break onto two lines at a natural point,
and the figure leaves room for them (the browser checks live in tests/e2e/test_pages.py)."""

import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from hra_viz.views import figures
from hra_viz.views.figures.style import TITLE_MAX_UNITS, _base, text_units, wrap_title


@pytest.mark.parametrize(
    "text,limit,expected",
    [
        ("target accuracy", 20, "target accuracy"),  # fits: unchanged
        ("retention (source accuracy / base)", 20, "retention<br>(source accuracy / base)"),
        ("知識保持率（元タスク精度 / ベース）", 21, "知識保持率<br>（元タスク精度 / ベース）"),
        ("知識保持：Spearman ρ", 15, "知識保持：<br>Spearman ρ"),  # after a colon
        ("知識保持：10 近傍の一致率", 16, "知識保持：<br>10 近傍の一致率"),  # the colon before a later space
        ("正則化項 Σ‖I − ÛᵀÛ‖²", 15, "正則化項<br>Σ‖I − ÛᵀÛ‖²"),  # never at the spaces around "−"
        ("トークンあたりの追加演算量", 16, "トークンあたりの<br>追加演算量"),  # between CJK glyphs
        ("abcdefghijklmnopqrstuvwxyz", 10, "abcdefghijklmnopqrstuvwxyz"),  # no break point: unchanged
    ],
)
def test_wrap_title(text, limit, expected):
    out = wrap_title(text, limit)
    assert out == expected
    if "<br>" in out:
        first, second = out.split("<br>")
        assert text_units(first) <= limit and (first + second).replace(" ", "") == text.replace(" ", "")


def test_text_units_count_wide_glyphs_twice():
    assert text_units("HRA") == 3 and text_units("学習") == 4 and text_units("（°）") == 5


def test_base_wraps_crowded_subplot_titles_and_makes_room():
    titles = ["penalty Σ‖I − ÛᵀÛ‖² per layer", "‖H − I‖₂ (max over layers)", "mean pair rotation (°)", "x"]
    fig = make_subplots(rows=1, cols=4, subplot_titles=titles)
    for c in range(1, 5):
        fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1]), 1, c)
    fig = _base(fig, "title", 400)
    wrapped = [a.text for a in fig.layout.annotations]
    assert wrapped[0].startswith("penalty<br>") and wrapped[1] == "‖H − I‖₂<br>(max over layers)"
    assert wrapped[3] == "x"
    assert fig.layout.height == 422 and fig.layout.margin.t == 92  # room for the second line

    narrow = make_subplots(rows=1, cols=2, subplot_titles=["a", "b"])
    assert _base(narrow, "t", 400).layout.margin.t == 70  # nothing wrapped: the usual margin


def test_base_wraps_a_long_figure_title():
    long = "A very long figure title that would run past the right edge of a narrow figure, surely"
    assert text_units(long) > TITLE_MAX_UNITS
    fig = _base(go.Figure(), long, 400)
    assert "<br>" in fig.layout.title.text and fig.layout.margin.t == 92
    assert _base(go.Figure(), "short", 400).layout.title.text == "short"


def test_room_for_wrapped_titles_whatever_other_annotations_say():
    """A line's label in data coordinates (y = 25) is not a subplot title: the top row's two-line
    titles still get their room under the figure's title."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=["retention (source accuracy / base)", "b", "c"])
    for c in range(1, 4):
        fig.add_trace(go.Scatter(x=[0, 1], y=[0, 30]), 1, c)
    fig.add_hline(y=25, row=1, col=2, annotation_text="baseline")
    fig = _base(fig, "t", 400)
    assert fig.layout.annotations[0].text == "retention<br>(source accuracy / base)"
    assert fig.layout.margin.t == 92


def test_base_names_a_shared_x_axis_under_each_columns_lowest_panel():
    # 3 rows × 2 columns, the sixth cell empty: column 1 is named under row 3, column 2 under row 2
    fig = make_subplots(rows=3, cols=2, specs=[[{}, {}], [{}, {}], [{}, None]])
    fig.update_xaxes(title="step")
    fig.update_xaxes(title="other", row=1, col=2)  # a different title is not repeated below: it stays
    _base(fig, "t")
    titled = {(r, c): fig.get_subplot(r, c).xaxis.title.text for r, c in
              [(1, 1), (2, 1), (3, 1), (1, 2), (2, 2)]}
    assert titled == {(1, 1): None, (2, 1): None, (3, 1): "step", (1, 2): "other", (2, 2): "step"}


def test_for_presentation_scales_every_font_margins_and_height_and_leaves_the_figure_alone():
    fig = make_subplots(rows=1, cols=2, subplot_titles=("a", "b"))  # subplot titles: 16 px annotations
    fig.add_trace(go.Scatter(x=[0, 1], y=[1, 2], name="s", marker=dict(size=7),
                             textfont=dict(size=10), hoverlabel=dict(font=dict(size=9))), row=1, col=1)
    fig.add_trace(go.Bar(x=[0, 1], y=[2, 1], name="b"), row=1, col=2)
    fig.add_annotation(text="note", x=0, y=0, font=dict(size=13))
    _base(fig, "title", height=400)
    fig.update_layout(legend=dict(font=dict(size=11)), xaxis2=dict(tickfont=dict(size=10)))
    before = fig.to_plotly_json()

    big = figures.for_presentation(fig, scale=1.5)

    assert fig.to_plotly_json() == before  # a copy: the page's figure (and its download) is unchanged
    L = big.layout
    assert L.font.size == 18  # plotly's 12-px default, which _base leaves unset
    assert [a.font.size for a in L.annotations] == [24, 24, 19.5]  # two subplot titles, the note
    assert L.legend.font.size == 16.5 and L.xaxis2.tickfont.size == 15
    assert big.data[0].textfont.size == 15
    assert big.data[0].marker.size == 7 and big.data[0].hoverlabel.font.size == 9  # not fonts on the page
    m0, m1 = fig.layout.margin, L.margin
    assert (m1.l, m1.r, m1.t, m1.b) == tuple(round(1.5 * v) for v in (m0.l, m0.r, m0.t, m0.b))
    assert L.height == round(1.5 * fig.layout.height)
    assert big.layout.annotations[0].text == fig.layout.annotations[0].text  # only sizes change


def test_for_presentation_gives_a_figure_without_height_streamlits_default_scaled():
    fig = go.Figure(go.Scatter(x=[0], y=[0]))
    big = figures.for_presentation(fig)
    assert big.layout.height == round(450 * figures.PRESENT_SCALE) and big.layout.font.size == 15

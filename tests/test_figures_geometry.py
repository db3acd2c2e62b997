"""Figures and page data checked against the mathematics (float64, naive references)."""

import math

import numpy as np
import pytest
import torch

from hra_viz.core import householder as hh
from hra_viz.views import figures, geometry, wy_view


def _naive_reflection(u):
    u = u / u.norm()
    return torch.eye(len(u), dtype=u.dtype) - 2.0 * torch.outer(u, u)


@pytest.mark.parametrize(
    "az,el", [([20, 65], None), ([20, 65, 110], None), ([0, 45], [0, 0]), ([10, 80, 130], [20, -40, 70])]
)
def test_chain_stages_match_the_matrix_product(az, el):
    U = geometry.mirror_vectors(az, el)
    P, _, _ = geometry.shape_points("F", U.shape[0])
    stages = geometry.chain_stages(P, U)
    H = torch.eye(U.shape[0], dtype=torch.float64)
    for i in range(U.shape[1]):
        H = H @ _naive_reflection(U[:, i])
    assert torch.allclose(stages[-1], P @ H.T, atol=1e-13)
    # first stage uses the LAST mirror: H x = H_1(…H_r(x))
    assert torch.allclose(stages[1], P @ _naive_reflection(U[:, -1]).T, atol=1e-13)
    pres = geometry.preservation(P, H)
    assert pres["max_len_change"] < 1e-12 and pres["max_angle_change_deg"] < 1e-9
    assert math.isclose(pres["det"], (-1) ** U.shape[1], abs_tol=1e-12)


@pytest.mark.parametrize("a1,a2", [(20, 65), (0, 90), (10, 170), (40, 40), (100, 30)])
def test_pair_is_rotation_by_twice_the_angle(a1, a2):
    U = geometry.mirror_vectors([a1, a2])
    P, _, _ = geometry.shape_points("F", 2)
    rep = geometry.pair_report(U, P)
    between = abs(a2 - a1)  # angle between u1 and u2 (both in [0°, 180°))
    assert math.isclose(rep["theta"], between, abs_tol=1e-9)
    assert rep["error"] < 1e-9
    # measured rotation angle, folded, equals twice the angle between the mirror lines
    lines = min(between, 180 - between)
    assert math.isclose(abs(rep["measured"]), 2 * lines, abs_tol=1e-9)


def test_reflection_figure_draws_the_chain():
    U = geometry.mirror_vectors([20, 65, 110])
    P, w, conn = geometry.shape_points("F", 2)
    stages = geometry.chain_stages(P, U)
    fig = figures.reflections_2d(stages, U, 3, conn, w, "en")
    bold = [tr for tr in fig.data if tr.line is not None and tr.line.color == figures.METHOD_COLORS["hra"]]
    assert len(bold) == 1
    H = hh.householder_chain(U)
    assert np.allclose(np.c_[bold[0].x, bold[0].y], (P @ H.T).numpy(), atol=1e-12)
    # mirror line i is perpendicular to u_i
    mirror = fig.data[0]
    direction = np.array([mirror.x[1] - mirror.x[0], mirror.y[1] - mirror.y[0]])
    assert abs(direction @ U[:, 0].numpy()) < 1e-12
    assert figures.reflections_3d(
        geometry.chain_stages(
            *geometry.shape_points("digit", 3)[:1], geometry.mirror_vectors([0, 45], [0, 0])
        ),
        geometry.mirror_vectors([0, 45], [0, 0]),
        2,
        False,
        "ja",
    ).layout.title.text


@pytest.mark.parametrize(
    "d,r,init", [(12, 8, "random"), (8, 3, "random"), (16, 16, "random"), (12, 4, "symmetric")]
)
def test_wy_figures_show_the_right_matrices(d, r, init):
    rep = wy_view.wy_report(d, r, 6, 0, init)
    U = rep["U"]
    fig = figures.wy_heatmaps(rep["H"], rep["WY"], rep["diff"], rep["wy_error"], "en")
    assert np.allclose(np.array(fig.data[0].z), hh.householder_chain(U).numpy(), atol=0)
    assert np.allclose(np.array(fig.data[1].z), hh.wy_matrix(U).numpy(), atol=0)
    assert rep["wy_error"] < 1e-12 and rep["gamma_error"] < 1e-12 and rep["lora_error"] < 1e-12
    G = np.array(figures.gamma_heatmap(rep["Gamma"], "en").data[0].z)
    assert np.allclose(np.tril(G, -1), 0) and np.allclose(np.diag(G), -2)
    assert np.allclose(G, hh.wy_gamma_recurrence(U).numpy(), atol=1e-12)
    sv = np.array(figures.singular_values(rep["sv_dense"], r, "en").data[0].y)
    assert (sv > 1e-10).sum() <= r and sv.max() <= 2 + 1e-12
    if init == "symmetric":
        assert rep["identity_error"] < 1e-12 and rep["rank"] == 0
    lv = figures.lora_view(rep["W"], rep["A"], rep["B"], rep["WH"], "en")
    shapes = [np.array(tr.z).shape for tr in lv.data]
    assert shapes == [(6, d), (6, d), (6, r), (r, d)]
    assert np.allclose(
        np.array(lv.data[0].z), np.array(lv.data[1].z) + np.array(lv.data[2].z) @ np.array(lv.data[3].z)
    )


def test_odd_symmetric_falls_back_to_random():
    assert wy_view.wy_report(8, 3, 4, 0, "symmetric")["fell_back"]


def test_cost_helpers():
    ft = wy_view.flop_table(256, 12, 8, 4)
    assert list(ft.route) == ["activation", "lora", "materialise"]
    big = ft.set_index("route")
    assert big.loc["activation", "flops_big"] < big.loc["materialise", "flops_big"]  # never build H at 768
    tm = wy_view.wy_timing(4, sizes=(32, 64), reps=1)
    assert (tm.naive_ms > 0).all() and (tm.wy_ms > 0).all()


def test_method_colours_are_one_per_method_and_distinct():
    cols = [figures.METHOD_COLORS[m] for m in ("hra", "lora", "oft", "full", "head")]
    assert len(set(cols)) == 5


def test_html_export_is_self_contained():
    import plotly.graph_objects as go

    html = figures.to_html(go.Figure())
    assert 'src="https://cdn.plot.ly' not in html and len(html) > 1_000_000  # plotly.js inlined

"""Data for the reflections page: mirrors from angles, a shape, the chain step by step, live checks.

Convention (as in ``householder``): H = H_1 H_2 … H_r, so a point x meets the *last* mirror first:
H x = H_1(H_2(… H_r(x))). Stage k of the walk is H_{r−k+1} … H_r x.
Everything is float64 and tiny (≤ 6 mirrors, ≤ 200 points): no caps needed beyond the registry's.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from hra_viz.core import householder as hh

__all__ = ["mirror_vectors", "shape_points", "chain_stages", "pair_report", "preservation", "mirror_segments"]

# The letter F as a closed outline, off the origin so that every reflection visibly moves it.
_F_OUTLINE = np.array(
    [
        (0.0, 0.0),
        (0.2, 0.0),
        (0.2, 0.45),
        (0.5, 0.45),
        (0.5, 0.62),
        (0.2, 0.62),
        (0.2, 0.82),
        (0.65, 0.82),
        (0.65, 1.0),
        (0.0, 1.0),
        (0.0, 0.0),
    ]
) + np.array([0.35, 0.15])


def mirror_vectors(azimuth_deg, elevation_deg=None) -> torch.Tensor:
    """U (d, r) of unit vectors: 2-D u_i = (cos a_i, sin a_i); 3-D adds the elevation e_i."""
    a = torch.tensor([math.radians(x) for x in azimuth_deg], dtype=torch.float64)
    if elevation_deg is None:
        return torch.stack([torch.cos(a), torch.sin(a)])  # (2, r)
    e = torch.tensor([math.radians(x) for x in elevation_deg], dtype=torch.float64)
    return torch.stack([torch.cos(e) * torch.cos(a), torch.cos(e) * torch.sin(a), torch.sin(e)])  # (3, r)


def _densify(poly: np.ndarray, per_edge: int = 8) -> np.ndarray:
    pts = [
        poly[i] + (poly[i + 1] - poly[i]) * s
        for i in range(len(poly) - 1)
        for s in np.linspace(0, 1, per_edge, endpoint=False)
    ]
    return np.vstack([pts, poly[-1:]])


@lru_cache(maxsize=1)
def _digit_points() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # bundled with scikit-learn, no download

    img = load_digits().images[7]  # a "7": it reads differently when mirrored
    rows, cols = np.nonzero(img >= 6)
    xy = np.stack([cols / 7.0, (7 - rows) / 7.0], axis=1) * 0.9 + np.array([0.3, 0.15])
    return xy, img[rows, cols] / 16.0


def shape_points(kind: str, dim: int) -> tuple[torch.Tensor, np.ndarray, bool]:
    """(points (n, dim), weights (n,), connected). ``connected``: draw as a line, else as dots."""
    if kind == "digit":
        xy, w = _digit_points()
        connected = False
    else:
        xy = _densify(_F_OUTLINE)
        w = np.ones(len(xy))
        connected = True
    if dim == 2:
        pts = xy
    else:  # the shape on the plane z = 0.15, so that a tilted mirror moves it out of plane
        pts = np.hstack([xy, np.full((len(xy), 1), 0.15)])
    return torch.tensor(pts, dtype=torch.float64), w, connected


def chain_stages(points: torch.Tensor, U: torch.Tensor) -> list[torch.Tensor]:
    """[x, H_r x, H_{r−1} H_r x, …, H x]: the shape after each reflection, in the order it meets them."""
    stages = [points]
    for i in reversed(range(U.shape[1])):
        stages.append(hh.reflect(stages[-1], U[:, i]))
    return stages


def mirror_segments(U: torch.Tensor, length: float = 1.6) -> list[np.ndarray]:
    """2-D: for each u_i, two end points of the mirror line u_i^⊥ through the origin."""
    out = []
    for i in range(U.shape[1]):
        u = U[:, i].numpy()
        m = np.array([-u[1], u[0]])
        out.append(np.stack([-length * m, length * m]))
    return out


def mirror_planes(U: torch.Tensor, half: float = 1.3) -> list[np.ndarray]:
    """3-D: for each u_i, the 4 corners of a square patch of the plane u_i^⊥ through the origin."""
    out = []
    for i in range(U.shape[1]):
        u = U[:, i].numpy()
        probe = np.eye(3)[int(np.argmin(np.abs(u)))]
        p = np.cross(u, probe)
        p /= np.linalg.norm(p)
        q = np.cross(u, p)
        out.append(np.stack([half * (s * p + t * q) for s, t in ((-1, -1), (1, -1), (1, 1), (-1, 1))]))
    return out


def _signed_angle_in_plane(x: torch.Tensor, y: torch.Tensor, basis: torch.Tensor) -> float:
    a, b = x @ basis, y @ basis  # coordinates in the plane (e1, e2)
    return math.degrees(math.atan2(float(a[0] * b[1] - a[1] * b[0]), float(a @ b)))


def pair_report(U: torch.Tensor, points: torch.Tensor) -> dict | None:
    """The first pair (u_1, u_2) as a rotation: θ, the predicted 2θ, and the angle measured on the shape.

    H(u_1) H(u_2) rotates the plane span(u_1, u_2) by α = −2θ (θ = angle from u_1 to u_2) and fixes
    its orthogonal complement. ``measured`` is the rotation of the shape's farthest point, read off
    in that plane, wrapped to (−180°, 180°].
    """
    if U.shape[1] < 2:
        return None
    u1, u2 = U[:, 0], U[:, 1]
    basis, alpha = hh.pair_rotation(u1, u2)
    theta = -math.degrees(float(alpha)) / 2.0
    H12 = hh.householder_chain(U[:, :2])
    proj = points @ basis  # (n, 2)
    x = points[int(torch.argmax(proj.norm(dim=1)))]
    measured = _signed_angle_in_plane(x, H12 @ x, basis)
    predicted = math.remainder(-2.0 * theta, 360.0)
    return {
        "theta": theta,
        "two_theta": 2.0 * theta,
        "predicted": predicted,
        "measured": measured,
        "error": abs(math.remainder(measured - predicted, 360.0)),
    }


def preservation(points: torch.Tensor, H: torch.Tensor) -> dict:
    """Live proof that H is an isometry: lengths, angles, HᵀH = I, det H."""
    Hx = points @ H.T
    dlen = (Hx.norm(dim=1) - points.norm(dim=1)).abs().max()

    def angles(P):  # all pairwise angles, by atan2(‖x × y‖, x·y): accurate near 0° and 180°
        if P.shape[1] == 2:
            cross = (P[:, None, 0] * P[None, :, 1] - P[:, None, 1] * P[None, :, 0]).abs()
        else:
            cross = torch.linalg.cross(
                P[:, None, :].expand(-1, len(P), -1), P[None, :, :].expand(len(P), -1, -1)
            ).norm(dim=-1)
        return torch.rad2deg(torch.atan2(cross, P @ P.T))

    dang = (angles(Hx) - angles(points)).abs().max()
    eye = torch.eye(H.shape[0], dtype=H.dtype)
    return {
        "max_len_change": float(dlen),
        "max_angle_change_deg": float(dang),
        "orth_error": float((H.T @ H - eye).abs().max()),
        "det": float(torch.linalg.det(H)),
    }

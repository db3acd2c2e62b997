"""Decode the data arrays of a plotly figure spec (plotly ≥ 6 writes numpy arrays as base64 "bdata")."""

import base64
import json

import numpy as np


def arr(v) -> np.ndarray:
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(s) for s in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.array(v)


def specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def x_titles_over_panels(fig: dict) -> list[str]:
    """The x axes that have a title and another panel right below them (overlapping x domain, lower y
    domain): there the title sits in the gap where the lower panel's subplot title is drawn, and ran
    into it once that title wrapped. A grid names its x axis under its bottom row only."""
    lay = fig["layout"]
    axes = {k: v for k, v in lay.items() if k.startswith("xaxis")}

    def y_dom(ax):
        return lay["yaxis" + ax.get("anchor", "y")[1:]].get("domain", [0, 1])

    out = []
    for k, ax in axes.items():
        title = (ax.get("title") or {}).get("text")
        if not title or "anchor" not in ax:
            continue
        x0, x1 = ax.get("domain", [0, 1])
        if any(n != k and "anchor" in o and y_dom(o)[1] < y_dom(ax)[0]
               and min(x1, o.get("domain", [0, 1])[1]) > max(x0, o.get("domain", [0, 1])[0])
               for n, o in axes.items()):
            out.append(f"{k}: {title}")
    return out

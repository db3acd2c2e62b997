"""Pure figure builders: data → ``plotly.graph_objects.Figure``, one module per topic (page).

They never train or read app state.

* One colour per method, everywhere: ``METHOD_COLORS`` (Okabe–Ito, safe for colour-blind readers).
* Signed matrices use the diverging "RdBu" scale centred on 0; magnitudes use "Viridis".
* Every hover shows the exact value; every title is localised through ``lang``.
"""

from .home import parameter_bars, spectrum_bars, step_cost_bars
from .pilot import accuracy_ci_bars, pilot_costs, pilot_diffs, pilot_results
from .reflections import reflections_2d, reflections_3d
from .spectra import delta_spectra, energy_bars, hra_angles, layer_spectra
from .style import (
    LAMBDA_COLORS,
    METHOD_COLORS,
    METHOD_NAMES,
    MIRROR_COLORS,
    ORIGINAL_COLOR,
    PRESENT_SCALE,
    for_presentation,
    to_html,
)
from .training import (
    chain_lines,
    decision_boundaries,
    decision_boundary,
    digit_grid,
    gram_heatmaps,
    lambda_curves,
    live_curves,
    refresh_decision_boundaries,
    refresh_digit_grid,
    refresh_gram_heatmaps,
    refresh_live_curves,
    sweep_scatter,
    training_curves,
)
from .wy_form import gamma_heatmap, lora_view, singular_values, wy_heatmaps, wy_timing_lines

__all__ = [
    "METHOD_COLORS",
    "METHOD_NAMES",
    "MIRROR_COLORS",
    "ORIGINAL_COLOR",
    "LAMBDA_COLORS",
    "PRESENT_SCALE",
    "for_presentation",
    "to_html",
    "parameter_bars",
    "spectrum_bars",
    "step_cost_bars",
    "accuracy_ci_bars",
    "pilot_results",
    "pilot_diffs",
    "pilot_costs",
    "reflections_2d",
    "reflections_3d",
    "wy_heatmaps",
    "gamma_heatmap",
    "singular_values",
    "lora_view",
    "wy_timing_lines",
    "training_curves",
    "sweep_scatter",
    "decision_boundary",
    "live_curves",
    "gram_heatmaps",
    "decision_boundaries",
    "digit_grid",
    "refresh_live_curves",
    "refresh_gram_heatmaps",
    "refresh_decision_boundaries",
    "refresh_digit_grid",
    "chain_lines",
    "lambda_curves",
    "layer_spectra",
    "delta_spectra",
    "energy_bars",
    "hra_angles",
]

"""hra-viz: Householder Reflection Adaptation, exact and fast, with an interactive teaching app.

The engine (this package) never imports streamlit; it is usable from a notebook or the CLI.
"""

__version__ = "0.1.0"

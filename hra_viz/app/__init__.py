"""Layer 5, the app: the state registry (``state``) and the Streamlit glue (``ui``) used by ``pages/``.

The only layer that may import streamlit.
"""

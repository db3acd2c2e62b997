"""Layer 5, the app: the state registry (``state``) that ``ui/`` (the Streamlit glue, outside the
engine) and ``pages/`` read. Like every layer of hra_viz it never imports streamlit.
"""

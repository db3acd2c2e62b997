"""Layer 4, views: the data each page shows and the pure figure builders (data → plotly Figure)."""

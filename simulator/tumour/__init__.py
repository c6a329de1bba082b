"""Tumour kinetics: viable and doomed cells, stroma, growth (DESIGN 3.5)."""

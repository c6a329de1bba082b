"""Tumour kinetics: viable and doomed cells, stroma, growth (docs/model.md §6)."""

"""Shared numba compilation options for the simulation engine."""

JIT = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")

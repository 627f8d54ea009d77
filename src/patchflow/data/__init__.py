"""Datasets: deterministic HDF5 rendering, reading, and the on-the-fly k-osc stream."""

"""Torch networks: vector fields (DiT, residual MLP), tokenizers, encoders, regression heads.

Only training and export import this package; the serving path never does.
"""

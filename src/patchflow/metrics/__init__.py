"""Evaluation metrics (numpy and scipy only, safe for the serving path).

- :mod:`patchflow.metrics.kosc`: k-oscillator task (LSD, parameter MSE, assignment, Chamfer).
- :mod:`patchflow.metrics.audio`: real-synth audio metrics (MSS, wMFCC, SOT, RMS cosine).
- :mod:`patchflow.metrics.summary`: means with confidence intervals and a markdown table.
"""

from patchflow.metrics.audio import (
    METRIC_BETTER,
    METRIC_KEYS,
    audio_metrics,
    dtw_symmetric2,
    mfcc,
    multiscale_spectral_distance,
    rms_envelope,
    rms_envelope_similarity,
    spectral_optimal_transport,
    warped_mfcc_distance,
)
from patchflow.metrics.kosc import (
    chamfer_distance,
    linear_assignment_cost,
    log_spectral_distance,
    parameter_mse,
    to_tokens,
)
from patchflow.metrics.summary import markdown_table, summarize

__all__ = [
    "METRIC_BETTER",
    "METRIC_KEYS",
    "audio_metrics",
    "chamfer_distance",
    "dtw_symmetric2",
    "linear_assignment_cost",
    "log_spectral_distance",
    "markdown_table",
    "mfcc",
    "multiscale_spectral_distance",
    "parameter_mse",
    "rms_envelope",
    "rms_envelope_similarity",
    "spectral_optimal_transport",
    "summarize",
    "to_tokens",
    "warped_mfcc_distance",
]

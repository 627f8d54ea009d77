"""Summaries of per-item metric values and a markdown results table."""

from __future__ import annotations

import math

import numpy as np

Z_95 = 1.96  # two-sided 95% quantile of the standard normal
ARROWS = {"lower": "↓", "higher": "↑"}


def summarize(values: dict[str, np.ndarray]) -> dict[str, dict]:
    """Mean, spread and a 95% confidence interval of the mean for each metric.

    The interval uses the normal approximation ``mean ± 1.96 std / sqrt(n)`` with the sample
    standard deviation (``ddof=1``); it is reasonable for the thousands of test items used here,
    not for a handful. With fewer than two values ``std`` is 0 and the interval is NaN.

    Args:
        values: metric name to per-item values (any shape; flattened).

    Returns:
        Metric name to ``{"mean", "std", "n", "ci95", "ci_low", "ci_high"}`` where ``ci95`` is
        the half-width of the interval.
    """
    out: dict[str, dict] = {}
    for name, raw in values.items():
        arr = np.asarray(raw, dtype=np.float64).ravel()
        n = arr.size
        if n == 0:
            raise ValueError(f"metric {name!r} has no values")
        mean = float(arr.mean())
        std = float(arr.std(ddof=1)) if n > 1 else 0.0
        ci95 = Z_95 * std / math.sqrt(n) if n > 1 else math.nan
        out[name] = {
            "mean": mean,
            "std": std,
            "n": n,
            "ci95": ci95,
            "ci_low": mean - ci95,
            "ci_high": mean + ci95,
        }
    return out


def _format_cell(stats: dict | None) -> str:
    if stats is None:
        return "–"
    if math.isnan(stats["ci95"]):
        return f"{stats['mean']:.4g}"
    return f"{stats['mean']:.4g} ± {stats['ci95']:.2g}"


def markdown_table(
    rows: dict[str, dict[str, dict]], metrics: list[str], better: dict[str, str]
) -> str:
    """Render models x metrics as a markdown table of ``mean ± ci95`` cells.

    Args:
        rows: model name to the output of :func:`summarize` for that model.
        metrics: metric names, in column order.
        better: metric name to ``"lower"`` or ``"higher"`` (which direction is better); the
            header gets ``↓`` or ``↑``. Metrics not listed get no arrow.

    Returns:
        Markdown table text (ending with a newline). Missing entries are shown as ``–``.
    """
    for name, direction in better.items():
        if direction not in ARROWS:
            raise ValueError(f"better[{name!r}] must be 'lower' or 'higher', got {direction!r}")
    header = ["model"] + [f"{m} {ARROWS[better[m]]}" if m in better else m for m in metrics]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * len(metrics)) + "|",
    ]
    for model, stats in rows.items():
        cells = [model] + [_format_cell(stats.get(m)) for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"

"""Check a spec against a loaded plugin, or draft a spec from a plugin's parameters.

:func:`check_spec` verifies that every synth parameter of a spec exists in the plugin, that its
raw range lies in 0..1 and that categorical and discrete parameters fit the plugin's steps where
the plugin reveals them (its display text at evenly spaced raw values). :func:`draft_spec` turns
a plugin's parameter list into a starting spec: every parameter continuous over raw 0..1, except
those whose display text takes only a few distinct values at raw positions ``k / (n - 1)``,
which become categorical with those texts as choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from patchflow.spec import SPEC_FORMAT, SPEC_FORMAT_VERSION, Param, SynthSpec, spec_from_dict
from patchflow.synths.hosts import PluginHost, PluginParameter, normalize_name
from patchflow.synths.plugin import match_parameters, raw_from_native

PROBE_POINTS = 129  # raw values probed per parameter to find its steps
MAX_CHOICES = 16  # at most this many distinct texts make a parameter look stepped


@dataclass(frozen=True)
class CheckRow:
    """How one spec parameter maps onto the plugin."""

    name: str
    kind: str
    plugin_index: int | None
    plugin_name: str
    raw_min: float
    raw_max: float
    text_min: str
    text_max: str
    status: str  # "ok", "warning: ..." or "problem: ..."


@dataclass
class SpecCheck:
    """Result of :func:`check_spec`: one row per synth parameter, problems and warnings."""

    spec: str
    plugin: str
    rows: list[CheckRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def table(self) -> str:
        """A fixed-width text table of the rows."""
        header = (
            f"{'spec parameter':<26} {'kind':<11} {'#':>4} {'plugin parameter':<26} "
            f"{'raw range':<13} {'text at min .. max':<30} status"
        )
        lines = [header, "-" * len(header)]
        for r in self.rows:
            index = "-" if r.plugin_index is None else str(r.plugin_index)
            texts = f"{r.text_min} .. {r.text_max}" if r.plugin_index is not None else ""
            lines.append(
                f"{r.name:<26.26} {r.kind:<11} {index:>4} {r.plugin_name:<26.26} "
                f"{r.raw_min:>5.3f}..{r.raw_max:<5.3f} {texts:<30.30} {r.status}"
            )
        return "\n".join(lines)


def stepped_texts(host: PluginHost, index: int, points: int = PROBE_POINTS) -> list[str] | None:
    """The distinct display texts of a parameter over evenly spaced raw values, in raw order.

    Returns ``None`` when there are more than :data:`MAX_CHOICES` (the parameter looks
    continuous).
    """
    texts: list[str] = []
    for raw in np.linspace(0.0, 1.0, points):
        text = host.text_for(index, float(raw))
        if not texts or texts[-1] != text:
            texts.append(text)
            if len(texts) > MAX_CHOICES:
                return None
    return texts


def check_spec(spec: SynthSpec, host: PluginHost) -> SpecCheck:
    """Verify ``spec`` against the plugin loaded in ``host`` (see the module docstring)."""
    params = host.parameters()
    by_index = {p.index: p for p in params}
    mapping, missing = match_parameters(spec, params)
    report = SpecCheck(spec=spec.synth, plugin=f"{host.path} ({host.backend})")
    used: dict[int, str] = {}
    for j, param in enumerate(spec.params):
        if param.note_field is not None:
            continue
        raw_lo, raw_hi = param.raw_range or (0.0, 1.0)
        wanted = param.plugin_name or param.name
        if j not in mapping:
            status = "problem: not found in the plugin"
            report.problems.append(f"{param.name}: plugin has no parameter {wanted!r}")
            report.rows.append(
                CheckRow(param.name, param.kind, None, wanted, raw_lo, raw_hi, "", "", status)
            )
            continue
        index = mapping[j]
        plugin_param = by_index[index]
        issues = _range_issues(param, raw_lo, raw_hi)
        if index in used:
            issues.append(f"problem: plugin parameter also used by {used[index]}")
        used[index] = param.name
        if not any(i.startswith("problem") for i in issues):
            issues += _step_issues(param, host, index)
        for issue in issues:
            target = report.problems if issue.startswith("problem") else report.warnings
            target.append(f"{param.name}: {issue.split(': ', 1)[1]}")
        report.rows.append(
            CheckRow(
                name=param.name,
                kind=param.kind,
                plugin_index=index,
                plugin_name=plugin_param.name,
                raw_min=raw_lo,
                raw_max=raw_hi,
                text_min=host.text_for(index, min(max(raw_lo, 0.0), 1.0)),
                text_max=host.text_for(index, min(max(raw_hi, 0.0), 1.0)),
                status="; ".join(issues) or "ok",
            )
        )
    if missing and not report.problems:  # defensive: every missing name is reported above
        report.problems.extend(f"plugin has no parameter {m!r}" for m in missing)
    return report


def _range_issues(param: Param, raw_lo: float, raw_hi: float) -> list[str]:
    issues = []
    if not (0.0 <= raw_lo <= 1.0 and 0.0 <= raw_hi <= 1.0):
        issues.append(f"problem: raw range [{raw_lo}, {raw_hi}] leaves 0..1")
    if raw_lo == raw_hi:
        issues.append("problem: raw range is a single value")
    return issues


def _step_issues(param: Param, host: PluginHost, index: int) -> list[str]:
    texts = stepped_texts(host, index)
    if param.kind == "continuous":
        if texts is not None and len(texts) <= 8:
            return [
                f"warning: plugin shows only {len(texts)} values ({', '.join(texts)}); "
                "categorical or discrete may fit better"
            ]
        return []
    count = param.width if param.kind == "categorical" else round(param.max - param.min) + 1
    values = (
        np.arange(count, dtype=np.float64)
        if param.kind == "categorical"
        else (param.min + np.arange(count, dtype=np.float64))
    )
    raws = raw_from_native(param, values)
    at_choices = [host.text_for(index, float(r)) for r in raws]
    if len(set(at_choices)) < count:
        return [
            f"problem: {count} spec values give only {len(set(at_choices))} distinct plugin "
            f"values ({', '.join(dict.fromkeys(at_choices))})"
        ]
    raw_lo, raw_hi = param.raw_range or (0.0, 1.0)
    if texts is not None and (raw_lo, raw_hi) == (0.0, 1.0) and len(texts) != count:
        return [
            f"problem: the plugin has {len(texts)} steps ({', '.join(texts)}), the spec {count}"
        ]
    return []


def draft_spec(host: PluginHost, synth: str) -> dict[str, Any]:
    """A starting spec (as a JSON dictionary) with every plugin parameter.

    Continuous parameters span raw 0..1 with uniform sampling; parameters whose display text
    takes at most :data:`MAX_CHOICES` values exactly at raw ``k / (n - 1)`` become categorical.
    """
    params = [_draft_param(p, host) for p in host.parameters()]
    seen: dict[str, int] = {}
    for entry in params:  # make names unique: a plugin may repeat a name
        base = entry["name"]
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            entry["name"] = f"{base}_{seen[base]}"
    raw = {
        "format": SPEC_FORMAT,
        "format_version": SPEC_FORMAT_VERSION,
        "synth": synth,
        "version": 1,
        "description": f"Draft from {host.path.name} ({host.backend}): review kinds, units, "
        "ranges and sampling distributions before rendering a dataset.",
        "render": {"sample_rate": host.sample_rate, "channels": 2, "duration_s": 1.0},
        "note": {"pitch": 60, "velocity": 100, "on_s": 0.0, "off_s": 0.7},
        "params": params,
    }
    spec_from_dict(raw, f"draft of {host.path}")  # the draft must itself be a valid spec
    return raw


def _draft_param(p: PluginParameter, host: PluginHost) -> dict[str, Any]:
    name = normalize_name(p.name) or f"param_{p.index}"
    entry: dict[str, Any] = {"name": name}
    if name != p.name:
        entry["plugin_name"] = p.name
    texts = stepped_texts(host, p.index)
    choices = _choices_at_grid(host, p.index, texts) if texts and len(texts) >= 2 else None
    if choices is not None:
        nearest = min(
            range(len(choices)), key=lambda k: abs(k / (len(choices) - 1) - p.default_raw)
        )
        entry.update(
            kind="categorical",
            choices=choices,
            default=choices[nearest],
            distribution={"type": "choice"},
        )
    else:
        entry.update(
            kind="continuous",
            min=0.0,
            max=1.0,
            unit=p.label,
            default=round(p.default_raw, 6),
            distribution={"type": "uniform"},
        )
    return entry


def _choices_at_grid(host: PluginHost, index: int, texts: Sequence[str]) -> list[str] | None:
    n = len(texts)
    at_grid = [host.text_for(index, k / (n - 1)) for k in range(n)]
    if at_grid != list(texts) or len(set(at_grid)) != n:
        return None
    return [t.strip() or f"value {k}" for k, t in enumerate(at_grid)]

"""The machine description benchmarks write into their records."""

from __future__ import annotations

from pathlib import Path

from patchflow.machine import cpu_name, speed_probe


def test_cpu_name_is_the_cpuinfo_model_name() -> None:
    name = cpu_name()
    assert isinstance(name, str) and name and name == name.strip()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [ln for ln in cpuinfo.read_text().splitlines() if ln.startswith("model name")]
        if models:
            assert name == models[0].split(":", 1)[1].strip()


def test_speed_probe_reports_ordered_positive_times() -> None:
    probe = speed_probe(rounds=5)
    assert set(probe) == {"p50_ms", "p99_ms"}
    assert 0 < probe["p50_ms"] <= probe["p99_ms"]

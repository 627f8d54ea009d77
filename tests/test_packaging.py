"""Packaging: one import namespace, every subpackage shipped, CLI verbs wired."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_source_package_is_listed():
    tool = _pyproject()["tool"]["setuptools"]
    listed = set(tool["packages"])
    dirs = tool["package-dir"]
    found = set()
    for package, folder in dirs.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([package, *rel.parts]))
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"
    assert all(name == "patchflow" or name.startswith("patchflow.") for name in listed)


def test_base_dependencies_are_the_serving_set():
    deps = " ".join(_pyproject()["project"]["dependencies"])
    for name in ("numpy", "onnxruntime", "pyzmq", "python-osc", "mido", "soundfile"):
        assert name in deps
    for heavy in ("torch", "scipy", "h5py", "matplotlib"):
        assert heavy not in deps


@pytest.mark.parametrize(
    "verb", ["synths", "spec", "dataset", "train", "evaluate", "export", "match", "serve", "keys"]
)
def test_each_verb_has_help(verb):
    result = subprocess.run(
        [sys.executable, "-m", "patchflow", verb, "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert f"patchflow {verb}" in result.stdout


def test_synths_lists_every_registered_synth():
    result = subprocess.run(
        [sys.executable, "-m", "patchflow", "synths"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for name in ("kosc:", "amsynth:", "surge_simple:", "osc1_freq_hz"):
        assert name in result.stdout

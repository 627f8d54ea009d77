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


def test_parser_has_every_verb_and_a_broken_verb_is_an_error(monkeypatch):
    """No verb is silently dropped: every module in COMMANDS is a subcommand, and one that fails
    to import stops the CLI with the import error instead of vanishing from --help."""
    from patchflow import cli

    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert set(sub.choices) == set(cli.COMMANDS)
    monkeypatch.setitem(cli.COMMANDS, "broken", "patchflow.commands.no_such_verb")
    with pytest.raises(ModuleNotFoundError, match="no_such_verb"):
        cli.build_parser()


def test_a_missing_required_part_fails_and_an_optional_one_skips(pytester, monkeypatch):
    """tests/conftest.py: ``needs("part")`` skips with the reason, but fails when the part is
    named in PATCHFLOW_REQUIRE (what scripts/test.sh sets), so CI cannot pass by skipping."""
    conftest = (ROOT / "tests" / "conftest.py").read_text()
    pytester.makeconftest(conftest + '\nPARTS["absent"] = lambda: "not on this machine"\n')
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.needs("absent")
        def test_needs_it():
            pass
        """
    )
    monkeypatch.delenv("PATCHFLOW_REQUIRE", raising=False)
    optional = pytester.runpytest_subprocess("-ra")
    optional.assert_outcomes(skipped=1)
    optional.stdout.fnmatch_lines(["*optional part absent is missing: not on this machine*"])
    monkeypatch.setenv("PATCHFLOW_REQUIRE", "absent")
    required = pytester.runpytest_subprocess("-ra")
    required.assert_outcomes(errors=1)
    required.stdout.fnmatch_lines(["*required part absent is missing: not on this machine*"])
    monkeypatch.setenv("PATCHFLOW_REQUIRE", "absnet")
    assert pytester.runpytest_subprocess().ret != 0  # a misspelt part is a usage error

"""Suite-wide test set-up: the machine parts a test needs, and shared fixtures.

A test that needs a part of the machine marks it: ``@pytest.mark.needs("amsynth")``. Without the
part the test is skipped with the reason, unless the part is named in ``PATCHFLOW_REQUIRE``
(comma-separated, e.g. ``amsynth,node``; ``scripts/test.sh`` sets it for CI), when it fails
instead: a required part that is missing can never turn into a green run. Only genuinely optional
parts (a GPU, Surge XT) are left out of ``PATCHFLOW_REQUIRE``. ``pytest -ra`` lists every skip
with its reason, and the header says which parts were found.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

AMSYNTH_VST = Path("/usr/lib/vst/amsynth_vst.so")
AMSYNTH_BANKS = Path("/usr/share/amsynth/banks")
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SURGE_VST3 = Path("/usr/lib/vst3/Surge XT.vst3")
REQUIRE_ENV = "PATCHFLOW_REQUIRE"


def _node_missing() -> str | None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not on PATH (apt install nodejs npm)" if missing else None


def _amsynth_missing() -> str | None:
    if not AMSYNTH_VST.exists():
        return f"amsynth VST2 not installed ({AMSYNTH_VST}; apt install amsynth)"
    if importlib.util.find_spec("dawdreamer") is None:
        return "dawdreamer not installed (pip install dawdreamer)"
    if not AMSYNTH_BANKS.is_dir():
        return f"amsynth's factory banks are missing ({AMSYNTH_BANKS})"
    return None


def _real_sounds_missing() -> str | None:
    missing = [tool for tool in ("fluidsynth", "espeak-ng", "sox") if shutil.which(tool) is None]
    if not SOUNDFONT.is_file():
        missing.append("fluid-soundfont-gm")
    return f"apt packages missing: {' '.join(missing)}" if missing else None


def _surge_missing() -> str | None:
    if not SURGE_VST3.exists():
        return f"Surge XT not installed ({SURGE_VST3})"
    if importlib.util.find_spec("pedalboard") is None:
        return "pedalboard not installed"
    return None


def _gpu_missing() -> str | None:
    if importlib.util.find_spec("onnxruntime") is None:
        return "onnxruntime not installed"
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        return "no CUDA execution provider (CPU onnxruntime)"
    return None


# part -> check returning None when the part is there, else why it is missing
PARTS: dict[str, Callable[[], str | None]] = {
    "node": _node_missing,
    "amsynth": _amsynth_missing,
    "real_sounds": _real_sounds_missing,  # scripts/build_real_sounds.py's tools
    "surge": _surge_missing,
    "gpu": _gpu_missing,
}


def required_parts() -> set[str]:
    """The parts named in ``PATCHFLOW_REQUIRE``; unknown names are an error."""
    names = {n.strip() for n in os.environ.get(REQUIRE_ENV, "").split(",") if n.strip()}
    unknown = names - set(PARTS)
    if unknown:
        raise pytest.UsageError(f"{REQUIRE_ENV} names unknown parts {sorted(unknown)}")
    return names


def part_missing(part: str) -> str | None:
    """Why ``part`` is missing on this machine, or None when it is there."""
    return PARTS[part]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs(*parts): the test needs these machine parts (see PARTS in conftest.py)"
    )
    required_parts()  # fail early on a misspelt PATCHFLOW_REQUIRE


def pytest_report_header(config: pytest.Config) -> list[str]:
    required = required_parts()
    lines = []
    for part in PARTS:
        why = part_missing(part)
        state = "found" if why is None else f"missing: {why}"
        lines.append(f"part {part} ({'required' if part in required else 'optional'}): {state}")
    return lines


def pytest_runtest_setup(item: pytest.Item) -> None:
    required = required_parts()
    for mark in item.iter_markers("needs"):
        for part in mark.args:
            if part not in PARTS:
                pytest.fail(f"unknown part {part!r} in @pytest.mark.needs", pytrace=False)
            why = part_missing(part)
            if why is None:
                continue
            if part in required:
                pytest.fail(f"required part {part} is missing: {why}", pytrace=False)
            pytest.skip(f"optional part {part} is missing: {why}")


# ------------------------------------------------------------------------------ shared fixtures


@dataclass(frozen=True)
class TinyModel:
    """A tiny untrained k-osc (k = 4) CNF: its exported bundle and its run directory.

    Args:
        bundle: The bundle folder (``cnf-param2tok`` at size ``tiny``, 8 macros, identity
            feature statistics, seed 0), named ``kosc-tiny``.
        run_dir: A run directory holding the same model as ``best.pt`` (step 0).
    """

    bundle: Path
    run_dir: Path


@pytest.fixture(scope="session")
def tiny_kosc4(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    """One tiny exported model for the whole session (exporting takes seconds; share it).

    Read-only for tests: copy the bundle before damaging it.
    """
    import torch

    from patchflow.export.bundle_writer import ExportOptions, export_model
    from patchflow.features import FeatureConfig, FeatureStats
    from patchflow.nn.models import build_model
    from patchflow.synths.kosc import kosc_spec
    from patchflow.train.checkpoint import save_checkpoint
    from patchflow.train.config import preset_config

    torch.manual_seed(0)
    config = preset_config("cnf-param2tok", "tiny")
    model = build_model(config.model, kosc_spec(4), FeatureConfig()).eval()
    stats = FeatureStats.identity(model.feature_config)
    root = tmp_path_factory.mktemp("tiny-kosc4")
    bundle = export_model(
        model,
        root / "kosc-tiny",
        stats=stats,
        inputs=torch.randn(4, *model.feature_config.shape),
        options=ExportOptions(macros=8),
    )
    run_dir = root / "run"
    run_dir.mkdir()
    save_checkpoint(
        run_dir / "best.pt",
        model=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        step=0,
        config=config,
        stats=stats,
        metrics={},
        state={},
    )
    return TinyModel(bundle=Path(bundle), run_dir=run_dir)

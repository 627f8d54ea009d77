"""What a run was trained on and how: ``RUN_DIR/provenance.json``, read by ``patchflow export``."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

PROVENANCE_FILE = "provenance.json"


def data_recipe(data: str, seed: int) -> str:
    """A sentence (with the exact command where there is one) that recreates the training data."""
    if data.startswith("stream:"):
        return (
            f"on-the-fly {data[len('stream:') :]} stream (patchflow.data.stream.KOscStream, seed "
            f"{seed}): training batch i is drawn from numpy default_rng([{seed}, 1000003, 0, i]), "
            "so no item is stored and none repeats"
        )
    from patchflow.data.render import read_render_config

    c = read_render_config(data)
    cmd = ["patchflow", "dataset", "render", "--synth", c.synth, "--count", str(c.count)]
    cmd += ["--seed", str(c.seed), "--chunk-size", str(c.chunk_size), "--out", Path(data).name]
    if c.synth == "kosc":
        cmd += ["--k", str(c.k)] + (["--asymmetric"] if c.asymmetric else [])
    for flag, value in (("--plugin", c.plugin), ("--backend", c.backend), ("--preset", c.preset)):
        if value:
            cmd += [flag, value]
    if c.store_audio:
        cmd.append("--audio")
    if c.min_rms_db is not None:
        cmd += ["--min-rms-db", str(c.min_rms_db)]
    return f"{shlex.join(cmd)} (HDF5, {c.count} items)"


def record(run_dir: str | Path, argv: list[str], data: str, seed: int) -> None:
    """Add this invocation to the run's provenance (a resumed run lists every command)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / PROVENANCE_FILE
    prov: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {"commands": []}
    prov["commands"].append(shlex.join(["patchflow", *argv]))
    prov["data"] = data
    prov["data_recipe"] = data_recipe(data, seed)
    path.write_text(json.dumps(prov, indent=2))


def read(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / PROVENANCE_FILE
    return json.loads(path.read_text()) if path.is_file() else {}

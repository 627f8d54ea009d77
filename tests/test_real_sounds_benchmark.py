"""benchmarks/real_sounds.py runs end to end on a one-clip-per-category set."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "real_sounds.py"
CATEGORIES = {"piano", "organ", "strings", "brass", "flute", "lead", "pad", "bass", "plucked",
              "voice", "tone", "noise"}  # fmt: skip


def test_pitch_verdicts_count_octave_and_unpitched_misses():
    verdict = runpy.run_path(str(BENCHMARK))["pitch_verdict"]
    assert verdict(60, 60.3) == {"error_st": pytest.approx(0.3), "hit": True, "octave_error": False}
    assert verdict(60, 72.2)["hit"] is False and verdict(60, 72.2)["octave_error"] is True
    assert verdict(60, 47.9)["octave_error"] is True
    assert verdict(60, 66.0)["octave_error"] is False and verdict(60, 66.0)["hit"] is False
    assert verdict(60, None) == {"error_st": None, "hit": False, "octave_error": False}
    assert verdict(None, None)["hit"] is True and verdict(None, 50.0)["hit"] is False


@pytest.mark.needs("amsynth", "real_sounds")
def test_smoke_run_writes_results(tmp_path):
    main = runpy.run_path(str(BENCHMARK))["main"]
    out = tmp_path / "out"
    result = main(["--per-category", "1", "--max-budget-s", "0.5", "--sounds",
                   str(tmp_path / "sounds"), "--out", str(out)])  # fmt: skip
    assert {r["category"] for r in result["clips"]} == CATEGORIES
    assert set(result["summary"]) == CATEGORIES | {"total"}
    for row in result["clips"]:
        for name in ("cnf", "regression"):
            found = row["models"][name]
            assert found["scorer"] == "mss"
            assert found["first"] is not None and found["0.5"] <= found["first"]
    total = result["summary"]["total"]
    assert total["pitched_clips"] == len(CATEGORIES) - 1 and total["noise_clips"] == 1
    assert 0.0 <= result["targets"]["pitch_share"] <= 1.0
    saved = json.loads((out / "real_sounds.json").read_text())
    assert saved["summary"] == json.loads(json.dumps(result["summary"]))
    assert "| **total** |" in (out / "real_sounds.md").read_text()
    assert (out / "real_sounds.png").stat().st_size > 1000

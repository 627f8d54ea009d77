"""Pitch detection: accuracy on clips with known notes, and time per clip, for analysis settings.

Usage::

    python benchmarks/pitch_accuracy.py [--compare] [--sounds DIR] [--out docs/results]

Sets (a hit: within 0.5 semitone of the played note; an octave error or an "unpitched" verdict on
a pitched clip is a miss):

- ``tones``: numpy harmonic tones over MIDI 24-96 (offsets up to 0.4 st) at 16, 22.05, 44.1 and
  48 kHz, mono or stereo, under an attack and a random decay: sine, saw, square, missing
  fundamental, strong 2nd or 3rd harmonic, random harmonic levels.
- ``k-osc``: k-osc renders (1 s), its four oscillators at 1-4 x the fundamental with random
  levels and pure waveforms; odd notes without the fundamental where k-osc can play 2f and 3f.
- ``amsynth``: renders of random spec-v2 patches with osc 2 in unison with osc 1, ring
  modulation and LFO pitch modulation off (otherwise the played note is often not the pitch that
  sounds; see ``tests/test_pitch.py``); inaudible renders (< -60 dBFS) left out.
- ``real``: the real-sound set of ``scripts/build_real_sounds.py`` (sampled instruments, voices,
  tones; its noise clips count as hits when called unpitched).

Time: :func:`estimate_pitch` on a 1 s stereo 44.1 kHz tone (what a match analyses), p50/p99 over
``--rounds`` calls, every setting timed in turns. ``--compare`` adds the settings that the
defaults replaced (22050 Hz, a 40 ms hop, a whole second, and all three). Writes
``OUT/pitch_accuracy.{json,md}``. Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from patchflow.machine import cpu_name
from patchflow.pitch import PitchSettings, estimate_pitch, midi_to_hz

HIT_ST = 0.5
BUILD_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_real_sounds.py"
Clip = tuple[np.ndarray, int, float | None]  # audio, rate, played MIDI note (None: unpitched)

SETTINGS = {
    "default": PitchSettings(),
    "22050 Hz": PitchSettings(work_rate_hz=22050),
    "40 ms hop": PitchSettings(hop_s=0.04),
    "1 s analysed": PitchSettings(analysis_s=1.0),
    "22050 Hz, 40 ms, 1 s (before)": PitchSettings(work_rate_hz=22050, hop_s=0.04, analysis_s=1.0),
}

SPECTRA = ("sine", "saw", "square", "missing fundamental", "strong 2nd", "strong 3rd", "random")


def harmonics(kind: str, rng: np.random.Generator) -> dict[int, float]:
    """Harmonic number -> level for one of SPECTRA."""
    fixed = {
        "sine": {1: 1.0},
        "strong 2nd": {1: 0.2, 2: 1.0, 3: 0.3, 4: 0.5, 5: 0.1},
        "strong 3rd": {1: 0.3, 2: 0.2, 3: 1.0, 4: 0.1, 5: 0.2},
    }
    if kind in fixed:
        return fixed[kind]
    first = {"saw": 1, "square": 1, "missing fundamental": 2, "random": 1}[kind]
    step = 2 if kind == "square" else 1
    return {
        k: float(rng.random() ** 2) if kind == "random" else 1.0 / k for k in range(first, 21, step)
    }


def tones(seeds: int) -> Iterator[Clip]:
    rates = (16000, 22050, 44100, 48000)
    for s, kind in ((s, kind) for s in range(seeds) for kind in SPECTRA):
        rng = np.random.default_rng([s, SPECTRA.index(kind)])
        for i, midi in enumerate(np.arange(24.0, 97.0, 3.0) + rng.uniform(-0.4, 0.4, 25)):
            rate = rates[i % 4]
            t = np.arange(rate) / rate
            x = np.zeros(rate)
            for k, level in harmonics(kind, rng).items():
                if k * midi_to_hz(midi) < 0.45 * rate:
                    x += level * np.sin(2 * np.pi * k * midi_to_hz(midi) * t + rng.uniform(0, 6.3))
            x *= np.minimum(1.0, t / 0.01) * np.exp(-t * rng.uniform(0.0, 3.0))
            yield (np.stack([x, 0.5 * x]) if i % 3 == 0 else x), rate, float(midi)


def kosc_renders(seeds: int) -> Iterator[Clip]:
    from patchflow.synths.kosc import KOsc

    synth = KOsc(k=4, num_samples=44100)
    for s in range(seeds):
        rng = np.random.default_rng(s)
        rows = []
        for midi in range(24, 97):
            freqs = midi_to_hz(midi) * np.arange(1, 5)
            levels = rng.uniform(0.3, 1.0, 4) * (freqs <= 4000)
            if midi % 2 == 1 and freqs[2] <= 4000:
                levels[0] = 0.0  # a missing fundamental
            waves = rng.choice([-1.0, 0.0, 1.0], 4)  # sine, square, saw
            rows.append(np.concatenate([np.minimum(freqs, 4000), levels, waves]))
        audio = synth.render(np.array(rows))
        notes = range(24, 97)
        yield from ((a, synth.sample_rate, float(m)) for a, m in zip(audio, notes, strict=True))


def amsynth_renders(seeds: int, per_seed: int = 48) -> Iterator[Clip]:
    from patchflow.synths.base import notes_for
    from patchflow.synths.registry import create_synth

    synth = create_synth("amsynth")
    unison = ("osc2_pitch", "osc2_range", "osc2_detune", "osc_mix_mode", "freq_mod_amount")
    try:
        spec = synth.spec
        for s in range(seeds):
            native = spec.sample(np.random.default_rng(2026 + s), per_seed)
            native[:, [spec.index(name) for name in unison]] = 0.0
            audio = synth.render(native, notes_for(spec, native))
            for a, midi in zip(audio, native[:, spec.note_index], strict=True):
                if 10 * np.log10(np.mean(np.square(a, dtype=np.float64)) + 1e-20) > -60:
                    yield a, spec.sample_rate, float(midi)
    finally:
        synth.close()


def real_sounds(folder: Path) -> Iterator[Clip]:
    with (folder / "manifest.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            audio, rate = sf.read(folder / row["file"], dtype="float32", always_2d=True)
            yield audio.T, int(rate), float(row["midi"]) if row["midi"] else None


def score(clips: list[Clip], settings: PitchSettings) -> dict[str, Any]:
    """Hits, octave errors, unpitched verdicts and the median error on pitched clips."""
    hits = octaves = unpitched = 0
    errors = []
    for audio, rate, midi in clips:
        found = estimate_pitch(audio, rate, settings).midi
        if midi is None or found is None:
            hits += (midi is None) == (found is None)
            unpitched += midi is not None
            continue
        error = found - midi
        errors.append(abs(error))
        hits += abs(error) <= HIT_ST
        octaves += round(error / 12) != 0 and abs(error - 12 * round(error / 12)) <= HIT_ST
    return {
        "clips": len(clips),
        "hits": hits,
        "octave_errors": octaves,
        "unpitched_verdicts": unpitched,
        "median_abs_error_st": float(np.median(errors)) if errors else None,
    }


def timing(settings: dict[str, PitchSettings], rounds: int) -> dict[str, dict[str, float]]:
    """p50/p99 ms per call on a 1 s stereo 44.1 kHz tone, the settings timed in turns."""
    t = np.arange(44100) / 44100
    wave = sum(np.sin(2 * np.pi * 440.0 * k * t) / k for k in range(1, 6))
    audio = np.repeat((0.3 * wave).astype(np.float32)[None], 2, axis=0)
    times: dict[str, list[float]] = {name: [] for name in settings}
    for i in range(rounds + 20):
        for name, s in settings.items():
            start = time.perf_counter()
            estimate_pitch(audio, 44100, s)
            if i >= 20:
                times[name].append((time.perf_counter() - start) * 1e3)
    return {
        n: {"p50_ms": float(np.percentile(v, 50)), "p99_ms": float(np.percentile(v, 99))}
        for n, v in times.items()
    }


def build_real(out: Path) -> Path:
    done = subprocess.run([sys.executable, str(BUILD_SCRIPT), str(out)], capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"build_real_sounds failed: {done.stderr.decode()[-800:]}")
    return out


def markdown(report: dict[str, Any]) -> str:
    names = list(report["settings"])
    lines = ["# Pitch detection: accuracy and time", "", f"Command: `{report['command']}`", ""]
    lines += [
        f"Machine: {report['machine']}; load average at start {report['load_avg_start']}.",
        "",
    ]
    lines += [
        "Hits: within 0.5 semitone of the played note (real noise clips: called unpitched).",
        "",
    ]
    lines += ["| set | clips | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for set_name, per in report["accuracy"].items():
        cells = []
        for n in names:
            r = per[n]
            extra = f" ({r['octave_errors']} oct., {r['unpitched_verdicts']} unp.)"
            cells.append(f"{r['hits']}/{r['clips']}" + (extra if r["hits"] < r["clips"] else ""))
        lines.append(f"| {set_name} | {per[names[0]]['clips']} | " + " | ".join(cells) + " |")
    lines.append(
        "| time per 1 s clip, p50 / p99 ms | | "
        + " | ".join(
            f"{report['time'][n]['p50_ms']:.2f} / {report['time'][n]['p99_ms']:.2f}" for n in names
        )
        + " |"
    )
    lines += ["", "Settings: " + "; ".join(f"{n}: {s}" for n, s in report["settings"].items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also the replaced settings")
    parser.add_argument("--sounds", type=Path, help="a built real-sound set (default: build one)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per synthetic set")
    parser.add_argument("--no-amsynth", action="store_true", help="skip the amsynth renders")
    parser.add_argument("--rounds", type=int, default=300, help="timed calls per setting")
    parser.add_argument("--out", type=Path, default=Path("docs/results"))
    args = parser.parse_args(argv)
    settings = SETTINGS if args.compare else {"default": SETTINGS["default"]}
    load = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp:
        real = args.sounds or build_real(Path(tmp) / "real")
        sets = {
            "harmonic tones": list(tones(args.seeds)),
            "k-osc renders": list(kosc_renders(args.seeds)),
            "real sounds": list(real_sounds(real)),
        }
        if not args.no_amsynth:
            sets["amsynth renders"] = list(amsynth_renders(args.seeds))
        accuracy = {
            k: {n: score(clips, s) for n, s in settings.items()} for k, clips in sets.items()
        }
        for set_name, per in accuracy.items():
            print(set_name, {n: f"{r['hits']}/{r['clips']}" for n, r in per.items()}, flush=True)
    report = {
        "command": shlex.join(["python", "benchmarks/pitch_accuracy.py", *(argv or sys.argv[1:])]),
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
        "load_avg_start": load,
        "settings": {n: dataclasses.asdict(s) for n, s in settings.items()},
        "accuracy": accuracy,
        "time": timing(settings, args.rounds),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pitch_accuracy.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "pitch_accuracy.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

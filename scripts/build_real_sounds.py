"""Build the real-sound test set: 1 s clips of instruments, voices and tones over MIDI 24..96.

Sources are Debian packages, so the set rebuilds from scratch anywhere they are installed:

- ``fluidsynth`` + ``fluid-soundfont-gm`` (``/usr/share/sounds/sf2/FluidR3_GM.sf2``): General
  MIDI programs for piano, organ, strings, brass, flute, leads, pads, bass and plucked strings;
  each note is on at 0 s and off at 0.7 s (like the amsynth renders), reverb and chorus off.
- ``espeak-ng`` + ``sox``: held vowels ("ah", "ee", "oo"; a flat, low-range prosody), cut to 1 s
  of steady voicing and pitch-shifted by sox to the set note (the shift is computed from the
  clip's own median pitch, measured with :mod:`patchflow.pitch`).
- ``sox``: synthetic tones (sine, square, saw, triangle, Karplus-Strong pluck) and unpitched
  noise bursts (``sox -R``: repeatable noise).

Every clip is 1.0 s, mono, 44.1 kHz, 16-bit WAV. ``manifest.csv`` lists ``file, category,
source, midi`` (the intended MIDI note; empty for unpitched clips) and ``detail``. The script
deletes the output folder it built before (it must hold a ``manifest.csv`` or be empty) and
writes everything again; the same packages give the same files.

    python scripts/build_real_sounds.py data/real_sounds
    python scripts/build_real_sounds.py /tmp/rs --per-category 1   # a quick subset
    python scripts/build_real_sounds.py demo/flute.wav --gm-note 73 69  # one clip (GM flute, A4)

These clips are evaluation data only: never train on them.
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
import soundfile as sf

log = logging.getLogger("build_real_sounds")

SAMPLE_RATE = 44100
CLIP_S = 1.0
NOTE_OFF_S = 0.7
SLOT_S = 3.0  # each fluidsynth note gets its own 3 s slot in one MIDI file per program
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
APT_PACKAGES = ("fluidsynth", "fluid-soundfont-gm", "espeak-ng", "sox")

# category -> ((GM program, 0-based), name) and the notes played (inside MIDI 24..96).
GM_SETS: dict[str, tuple[tuple[tuple[int, str], ...], tuple[int, ...]]] = {
    "piano": (((0, "acoustic grand piano"), (4, "electric piano 1")), (24, 36, 48, 60, 72, 84, 96)),
    "organ": (((16, "drawbar organ"), (19, "church organ")), (36, 48, 60, 72, 84)),
    "strings": (((48, "string ensemble 1"), (40, "violin")), (55, 62, 69, 76, 88)),
    "brass": (((61, "brass section"), (56, "trumpet")), (52, 58, 64, 70, 77)),
    "flute": (((73, "flute"), (72, "piccolo")), (62, 69, 76, 84, 93)),
    "lead": (((80, "square lead"), (81, "sawtooth lead")), (48, 60, 67, 72, 84, 96)),
    "pad": (((89, "warm pad"), (88, "new age pad")), (36, 48, 55, 60, 72, 84)),
    "bass": (((33, "electric bass (finger)"), (38, "synth bass 1")), (24, 28, 33, 38, 43, 48)),
    "plucked": (((24, "nylon guitar"), (46, "harp")), (40, 47, 52, 59, 64, 76, 88)),
}
# vowel text, espeak-ng voice, notes
VOWELS: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("aaaaaaaaaaaaaa", "en+m3", (40, 45, 50, 55)),
    ("eeeeeeeeeeeeee", "en+m3", (43, 48, 53)),
    ("oooooooooooooo", "en+f3", (57, 62, 67, 72)),
    ("aaaaaaaaaaaaaa", "en+f3", (60, 65, 70, 76)),
)
TONES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("sine", (24, 36, 48, 60, 72, 84, 96)),
    ("square", (30, 45, 57, 69, 81)),
    ("sawtooth", (26, 38, 50, 62, 74, 86)),
    ("triangle", (33, 52, 64, 79, 91)),
    ("pluck", (28, 40, 55, 67, 83)),
)
NOISES: tuple[str, ...] = ("whitenoise", "pinknoise", "brownnoise")


@dataclass(frozen=True)
class Clip:
    """One clip of the set, as the manifest lists it."""

    file: str
    category: str
    source: str
    midi: int | None
    detail: str


def midi_to_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def missing_tools() -> list[str]:
    """The apt packages whose tools or files are absent."""
    missing = []
    for package, probe in (
        ("fluidsynth", "fluidsynth"),
        ("espeak-ng", "espeak-ng"),
        ("sox", "sox"),
    ):
        if shutil.which(probe) is None:
            missing.append(package)
    if not SOUNDFONT.is_file():
        missing.append("fluid-soundfont-gm")
    return missing


def _run(cmd: Sequence[str]) -> None:
    done = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")


def _write_clip(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """Mono, resampled to 44.1 kHz if needed, exactly 1 s, peak-limited to -1 dBFS, 16-bit."""
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"{path}: expected {SAMPLE_RATE} Hz, got {sample_rate}")
    n = round(CLIP_S * SAMPLE_RATE)
    audio = np.pad(audio[:n], (0, max(0, n - len(audio))))
    peak = float(np.max(np.abs(audio)))
    if peak > 0.891:
        audio = audio * (0.891 / peak)
    sf.write(path, audio, SAMPLE_RATE, subtype="PCM_16")


def _gm_clips(out: Path, tmp: Path, per_category: int | None) -> Iterator[Clip]:
    for category, (programs, notes) in GM_SETS.items():
        # programs alternate over the notes, so each note is played once per category
        plan = [(programs[i % len(programs)], note) for i, note in enumerate(notes)]
        plan = plan[:per_category] if per_category else plan
        for (program, name), group in _by_program(plan):
            audio = _render_fluidsynth(tmp, program, group)
            for k, note in enumerate(group):
                start = round(k * SLOT_S * SAMPLE_RATE)
                file = f"{category}_{program:03d}_{note:02d}.wav"
                _write_clip(out / file, audio[start:], SAMPLE_RATE)
                yield Clip(file, category, "fluidsynth FluidR3_GM", note, f"GM {program} {name}")


def _by_program(
    plan: Sequence[tuple[tuple[int, str], int]],
) -> Iterator[tuple[tuple[int, str], list[int]]]:
    programs: dict[tuple[int, str], list[int]] = {}
    for program, note in plan:
        programs.setdefault(program, []).append(note)
    yield from programs.items()


def _render_fluidsynth(tmp: Path, program: int, notes: Sequence[int]) -> np.ndarray:
    """Render one note per slot with a GM program; returns float audio (T, 2) at 44.1 kHz."""
    midi = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: 960 ticks per second
    track = mido.MidiTrack()
    midi.tracks.append(track)
    per_s = 960
    track.append(mido.Message("program_change", program=program, channel=0, time=0))
    now = 0
    for k, note in enumerate(notes):
        on, off = int(k * SLOT_S * per_s), int((k * SLOT_S + NOTE_OFF_S) * per_s)
        track.append(mido.Message("note_on", note=note, velocity=100, time=on - now))
        track.append(mido.Message("note_off", note=note, velocity=0, time=off - on))
        now = off
    end = int(len(notes) * SLOT_S * per_s)
    track.append(mido.Message("control_change", control=7, value=100, time=end - now))
    mid_path, wav_path = tmp / f"gm{program}.mid", tmp / f"gm{program}.wav"
    midi.save(mid_path)
    _run(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.6", "-r", str(SAMPLE_RATE),
          "-F", str(wav_path), "-T", "wav", str(SOUNDFONT), str(mid_path)])  # fmt: skip
    audio, rate = sf.read(wav_path, always_2d=True)
    if rate != SAMPLE_RATE:
        raise RuntimeError(f"fluidsynth wrote {rate} Hz, expected {SAMPLE_RATE}")
    return audio


def _vowel_clips(out: Path, tmp: Path, per_category: int | None) -> Iterator[Clip]:
    from patchflow.pitch import estimate_pitch

    plan = [(text, voice, note) for text, voice, notes in VOWELS for note in notes]
    plan = sorted(plan, key=lambda t: t[2])
    plan = plan[:: max(1, len(plan) // per_category)][:per_category] if per_category else plan
    for text, voice, note in plan:
        raw = tmp / f"espeak_{voice}_{text[0]}.wav"
        if not raw.exists():
            ssml = f'<speak><prosody range="x-low">{text}</prosody></speak>'
            _run(["espeak-ng", "-m", "-s", "80", "-v", voice, "-w", str(raw), ssml])
            steady = tmp / f"steady_{voice}_{text[0]}.wav"
            _run(["sox", "-R", str(raw), "-r", str(SAMPLE_RATE), str(steady), "trim", "0.3", "1.2"])
        steady = tmp / f"steady_{voice}_{text[0]}.wav"
        audio, rate = sf.read(steady, always_2d=True)
        estimate = estimate_pitch(audio.mean(axis=1).astype(np.float32), rate)
        if estimate.f0_hz is None:
            raise RuntimeError(f"espeak-ng vowel {text[0]!r} ({voice}) has no detectable pitch")
        cents = 1200.0 * math.log2(midi_to_hz(note) / estimate.f0_hz)
        shifted = tmp / f"vowel_{voice}_{text[0]}_{note}.wav"
        fade = ["fade", "t", "0.02", "1.0", "0.1"]
        _run(["sox", "-R", str(steady), str(shifted), "pitch", f"{cents:.1f}",
              "rate", str(SAMPLE_RATE), "trim", "0", "1.0", *fade])  # fmt: skip
        shifted_audio, shifted_rate = sf.read(shifted, always_2d=True)
        file = f"voice_{text[0]}_{voice.replace('+', '-')}_{note:02d}.wav"
        _write_clip(out / file, shifted_audio, shifted_rate)
        detail = f"held '{text[0]}', espeak-ng {voice}, shifted {cents:+.0f} cents"
        yield Clip(file, "voice", "espeak-ng + sox pitch", note, detail)


def _tone_clips(out: Path, tmp: Path, per_category: int | None) -> Iterator[Clip]:
    plan = [(shape, note) for shape, notes in TONES for note in notes]
    plan = plan[:: max(1, len(plan) // per_category)][:per_category] if per_category else plan
    for shape, note in plan:
        file = f"tone_{shape}_{note:02d}.wav"
        path = tmp / file
        fade = ["fade", "t", "0.005", "1.0", "0.3"] if shape != "pluck" else []
        _run(["sox", "-R", "-n", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(path),
              "synth", "1.0", shape, f"{midi_to_hz(note):.4f}", "gain", "-8", *fade])  # fmt: skip
        audio, rate = sf.read(path, always_2d=True)
        _write_clip(out / file, audio, rate)
        yield Clip(file, "tone", "sox synth", note, f"{shape} {midi_to_hz(note):.2f} Hz")
    noises = NOISES[:per_category] if per_category else NOISES
    for colour in noises:
        file = f"noise_{colour}.wav"
        path = tmp / file
        fade = ["fade", "t", "0.01", "1.0", "0.3"]
        _run(["sox", "-R", "-n", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(path),
              "synth", "1.0", colour, "gain", "-12", *fade])  # fmt: skip
        audio, rate = sf.read(path, always_2d=True)
        _write_clip(out / file, audio, rate)
        yield Clip(file, "noise", "sox synth", None, f"{colour} burst (unpitched)")


def program_name(program: int) -> str:
    """The name of a General MIDI program (0-based) the set uses, else ``GM <program>``."""
    for programs, _notes in GM_SETS.values():
        for number, name in programs:
            if number == program:
                return name
    return f"GM {program}"


def write_gm_note(path: Path, program: int, note: int) -> Clip:
    """Write one clip, like the set's: General MIDI ``program`` (0-based) playing MIDI ``note``.

    Raises:
        RuntimeError: fluidsynth or the soundfont is missing, or fluidsynth failed.
        ValueError: ``program`` or ``note`` is outside 0..127.
    """
    if not (0 <= program <= 127 and 0 <= note <= 127):
        raise ValueError(f"GM program and MIDI note must be 0..127, got {program} and {note}")
    missing = [m for m in missing_tools() if m in ("fluidsynth", "fluid-soundfont-gm")]
    if missing:
        raise RuntimeError(f"missing apt packages: {' '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="gm-note-") as tmp_name:
        audio = _render_fluidsynth(Path(tmp_name), program, [note])
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_clip(path, audio, SAMPLE_RATE)
    detail = f"GM {program} {program_name(program)}"
    return Clip(path.name, "gm", "fluidsynth FluidR3_GM", note, detail)


def _prepare_output(out: Path) -> None:
    if out.exists():
        if any(out.iterdir()) and not (out / "manifest.csv").is_file():
            raise RuntimeError(f"{out} is not empty and holds no manifest.csv: not deleting it")
        shutil.rmtree(out)
    out.mkdir(parents=True)


def build(out: Path, per_category: int | None = None) -> list[Clip]:
    """Build the whole set (or ``per_category`` clips per category) in ``out``."""
    missing = missing_tools()
    if missing:
        raise RuntimeError(f"missing apt packages: {' '.join(missing)}")
    _prepare_output(out)
    clips: list[Clip] = []
    with tempfile.TemporaryDirectory(prefix="real-sounds-") as tmp_name:
        tmp = Path(tmp_name)
        for make in (_gm_clips, _vowel_clips, _tone_clips):
            clips.extend(make(out, tmp, per_category))
    with (out / "manifest.csv").open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["file", "category", "source", "midi", "detail"])
        for c in clips:
            writer.writerow(
                [c.file, c.category, c.source, "" if c.midi is None else c.midi, c.detail]
            )
    return clips


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "out", type=Path, help="output folder (rebuilt from scratch); with --gm-note a WAV file"
    )
    parser.add_argument("--per-category", type=int, default=None,
                        help="only this many clips per category (quick subset)")  # fmt: skip
    parser.add_argument("--gm-note", type=int, nargs=2, metavar=("PROGRAM", "NOTE"),
                        help="write only one clip: GM program (0-based) and MIDI note")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.gm_note is not None:
        try:
            clip = write_gm_note(args.out, *args.gm_note)
        except (RuntimeError, ValueError) as err:
            log.error("build_real_sounds: %s", err)
            return 1
        log.info("wrote %s: %s, MIDI %d, %g s", args.out, clip.detail, clip.midi, CLIP_S)
        return 0
    try:
        clips = build(args.out, args.per_category)
    except RuntimeError as err:
        log.error("build_real_sounds: %s", err)
        return 1
    counts: dict[str, int] = {}
    for c in clips:
        counts[c.category] = counts.get(c.category, 0) + 1
    log.info("wrote %d clips to %s: %s", len(clips), args.out, counts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

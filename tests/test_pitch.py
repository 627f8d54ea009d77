"""Pitch estimation and note placement (``patchflow.pitch``) against renders with known notes.

Accuracy is counted the issue's way: an estimate is right when it is within 0.5 semitone of the
played note; an octave (or any other) error, or an unpitched verdict on a pitched note, is wrong.

- Harmonic tones in numpy over MIDI 24-96 at several sample rates, mono and stereo, with
  varied spectra: sine, saw, square (odd harmonics), missing fundamental, a strong 2nd or 3rd
  harmonic, random harmonic amplitudes.
- k-osc renders (the project's synth, 1 s clips): the four oscillators at 1, 2, 3 and 4 times the
  fundamental with pure waveforms (sine, square or saw) and random levels, and missing-fundamental
  variants. Mixed k-osc shapes between square and saw are left out on purpose: near shape 2/3
  the square's and the saw's odd harmonics cancel, and the oscillator really sounds an octave up.
- amsynth renders (the real plug-in) of random patches from the shipped spec over its note range.
  Random spec patches often play two notes at once: osc 2 is transposed by semitones and octaves,
  detuned, ring-modulated or vibrato'd by the LFO, and then the played note is not the pitch that
  sounds: on fully random spec patches only 58 and 41 of 120 renders (two seeds) came out within
  0.5 semitone of the played note, and most of the others had osc 2 transposed, an octave
  apart or detuned, or LFO vibrato. The test therefore draws every parameter from the spec and
  then sets osc 2 in unison with osc 1 (pitch 0, range 0, detune 0), ring modulation off and the
  LFO's pitch modulation off; waveforms, pulse widths, filters, envelopes, LFO to filter and
  amplitude, distortion and reverb stay random. Renders quieter than -60 dBFS RMS (a closed
  filter) are inaudible and left out; at most a tenth may be.
"""

from __future__ import annotations

import numpy as np
import pytest

from patchflow.pitch import (
    NotePlacement,
    PitchEstimate,
    estimate_pitch,
    hz_to_midi,
    midi_to_hz,
    place_note,
)
from patchflow.spec import SynthSpec, load_spec, make_params
from patchflow.synths.kosc import KOsc, kosc_spec

TOLERANCE_SEMITONES = 0.5
MIN_ACCURACY = 0.95
SILENT_RMS_DB = -60.0


def accuracy(estimates: list[PitchEstimate], notes: list[float]) -> float:
    ok = [
        e.midi is not None and abs(e.midi - n) <= TOLERANCE_SEMITONES
        for e, n in zip(estimates, notes, strict=True)
    ]
    return float(np.mean(ok))


def harmonic_tone(
    midi: float, sample_rate: int, amps: dict[int, float], rng: np.random.Generator
) -> np.ndarray:
    """One second of harmonics ``k * f0`` with amplitudes ``amps[k]`` and random phases, under an
    attack and a random exponential decay (harmonics above 0.45 x the rate are dropped)."""
    f0 = midi_to_hz(midi)
    t = np.arange(sample_rate) / sample_rate
    x = np.zeros_like(t)
    for k, a in amps.items():
        if k * f0 < 0.45 * sample_rate:
            x += a * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
    return x * np.minimum(1.0, t / 0.01) * np.exp(-t * rng.uniform(0.0, 3.0))


def spectrum(kind: str, rng: np.random.Generator) -> dict[int, float]:
    n = 20
    if kind == "sine":
        return {1: 1.0}
    if kind == "saw":
        return {k: 1.0 / k for k in range(1, n + 1)}
    if kind == "square":
        return {k: 1.0 / k for k in range(1, n + 1, 2)}
    if kind == "missing_fundamental":
        return {k: 1.0 / k for k in range(2, n + 1)}
    if kind == "strong_2nd":
        return {1: 0.2, 2: 1.0, 3: 0.3, 4: 0.5, 5: 0.1}
    if kind == "strong_3rd":
        return {1: 0.3, 2: 0.2, 3: 1.0, 4: 0.1, 5: 0.2}
    return {k: float(rng.random() ** 2) for k in range(1, n + 1)}  # random


@pytest.mark.parametrize(
    "kind",
    ["sine", "saw", "square", "missing_fundamental", "strong_2nd", "strong_3rd", "random"],
)
def test_harmonic_tones_over_midi_24_to_96(kind: str) -> None:
    rng = np.random.default_rng(sum(map(ord, kind)))
    notes = list(np.arange(24.0, 97.0, 3.0) + rng.uniform(-0.4, 0.4, 25))
    estimates = []
    for i, midi in enumerate(notes):
        rate = (16000, 22050, 44100, 48000)[i % 4]
        tone = harmonic_tone(midi, rate, spectrum(kind, rng), rng)
        audio = np.stack([tone, 0.5 * tone]) if i % 3 == 0 else tone  # stereo, or mono
        estimates.append(estimate_pitch(audio, rate))
    assert accuracy(estimates, notes) >= MIN_ACCURACY
    assert all(0.0 <= e.confidence <= 1.0 for e in estimates)


def test_kosc_renders_over_midi_24_to_96() -> None:
    synth = KOsc(k=4, num_samples=44100)  # 1 s clips
    rng = np.random.default_rng(0)
    rows, notes = [], []
    for midi in range(24, 97):
        f0 = midi_to_hz(midi)
        # odd notes without the fundamental, where k-osc (up to 4 kHz) has a 2nd and 3rd harmonic
        missing_fundamental = midi % 2 == 1 and 3 * f0 <= 4000
        freqs = f0 * np.arange(1, 5)
        amps = rng.uniform(0.3, 1.0, 4) * (freqs <= 4000)  # harmonics k-osc can play
        if missing_fundamental:
            amps[0] = 0.0
        shapes = rng.choice([-1.0, 0.0, 1.0], 4)  # sine, square, saw
        rows.append(np.concatenate([np.minimum(freqs, 4000), amps, shapes]))
        notes.append(float(midi))
    audio = np.concatenate([synth.render(np.array(rows[i : i + 8])) for i in range(0, 73, 8)])
    estimates = [estimate_pitch(a, synth.sample_rate) for a in audio]
    assert accuracy(estimates, notes) >= MIN_ACCURACY
    # a pure sine oscillator: tight and confident
    sine = synth.render([[440.0, 0, 0, 0, 1.0, 0, 0, 0, -1.0, 0, 0, 0]])[0]
    e = estimate_pitch(sine, synth.sample_rate)
    assert e.midi == pytest.approx(69.0, abs=0.05)
    assert e.f0_hz == pytest.approx(440.0, rel=0.003)
    assert e.confidence > 0.9 and e.pitched


@pytest.mark.parametrize("rate", [8000, 16000, 44100, 96000])
def test_known_sines_any_rate_mono_or_stereo(rate: int) -> None:
    t = np.arange(rate) / rate
    for midi in (24.0, 45.3, 69.0, 96.0):
        tone = np.sin(2 * np.pi * midi_to_hz(midi) * t)
        if midi_to_hz(midi) > 0.45 * rate:
            continue
        mono = estimate_pitch(tone, rate)
        stereo = estimate_pitch(np.stack([tone, tone]).astype(np.float32), rate)
        assert mono.midi == pytest.approx(midi, abs=0.1)
        assert stereo.midi == pytest.approx(mono.midi, abs=1e-3)


def test_a_short_clip_and_a_late_onset() -> None:
    rate = 44100
    t = np.arange(rate // 5) / rate  # 0.2 s
    tone = np.sin(2 * np.pi * 261.63 * t)
    assert estimate_pitch(tone, rate).midi == pytest.approx(60.0, abs=0.1)
    late = np.concatenate([np.zeros(rate // 2), tone])  # half a second of silence first
    assert estimate_pitch(late, rate).midi == pytest.approx(60.0, abs=0.1)


def test_noise_drums_and_silence_are_unpitched() -> None:
    rng = np.random.default_rng(1)
    rate = 44100
    t = np.arange(rate) / rate
    white = rng.standard_normal(rate)
    brown = np.cumsum(rng.standard_normal(rate))
    brown -= np.convolve(brown, np.ones(64) / 64, mode="same")  # no DC drift
    snare = rng.standard_normal(rate) * np.exp(-t / 0.05)
    snare[:40] += 1.0  # the stick's click
    hihat = np.diff(rng.standard_normal(rate + 1)) * np.exp(-t / 0.02)
    for name, audio in [("white", white), ("brown", brown), ("snare", snare), ("hihat", hihat)]:
        e = estimate_pitch(audio, rate)
        assert not e.pitched, name
        assert e.midi is None and e.f0_hz is None, name
    silent = estimate_pitch(np.zeros(rate), rate)
    assert not silent.pitched and silent.confidence == 0.0


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        estimate_pitch(np.zeros((1, 2, 100)), 44100)
    with pytest.raises(ValueError, match="NaN"):
        estimate_pitch(np.full(100, np.nan), 44100)
    with pytest.raises(ValueError, match="sample rate"):
        estimate_pitch(np.zeros(100), 0)


def test_hz_and_midi_round_trip() -> None:
    assert hz_to_midi(440.0) == pytest.approx(69.0)
    assert midi_to_hz(24.0) == pytest.approx(32.703, abs=1e-3)
    assert hz_to_midi(midi_to_hz(61.37)) == pytest.approx(61.37)


# ------------------------------------------------------------------------------ note placement


def pitched(midi: float, confidence: float = 0.9) -> PitchEstimate:
    return PitchEstimate(midi, midi_to_hz(midi), confidence)


@pytest.mark.parametrize(
    ("detected", "note", "octaves"),
    [
        (60.2, 60, 0),
        (47.6, 48, 0),  # rounds into range
        (71.7, 72, 0),
        (36.4, 48, 1),
        (24.0, 48, 2),
        (84.0, 72, -1),
        (90.3, 66, -2),
        (73.0, 61, -1),
        (47.2, 59, 1),
    ],
)
def test_place_note_moves_by_octaves_into_the_spec_range(
    detected: float, note: int, octaves: int
) -> None:
    spec = load_spec("amsynth")  # note_pitch 48..72, default 60
    placed = place_note(pitched(detected, 0.8), spec)
    assert placed == NotePlacement(note, detected, octaves, 0.8)


def test_place_note_unpitched_falls_back_to_the_default_note() -> None:
    spec = load_spec("amsynth")
    placed = place_note(PitchEstimate(None, None, 0.1), spec)
    assert placed == NotePlacement(60, None, 0, 0.1)


def test_place_note_without_a_note_parameter_is_none() -> None:
    assert place_note(pitched(60.0), kosc_spec(4)) is None


def test_place_note_in_a_range_narrower_than_an_octave() -> None:
    params = make_params(
        [
            {"name": "cutoff", "kind": "continuous", "min": 0.0, "max": 1.0},
            {"name": "note", "kind": "discrete", "min": 60, "max": 64, "default": 62,
             "note_field": "pitch"},
        ]
    )  # fmt: skip
    spec = SynthSpec("narrow", 1, params)
    assert place_note(pitched(75.0), spec) == NotePlacement(63, 75.0, -1, 0.9)
    assert place_note(pitched(67.0), spec).note in range(60, 65)  # the nearest end


# ------------------------------------------------------------------------------ real amsynth


@pytest.mark.amsynth
@pytest.mark.needs("amsynth")
def test_amsynth_random_patches_over_the_note_range() -> None:
    from patchflow.synths.base import notes_for
    from patchflow.synths.registry import create_synth

    synth = create_synth("amsynth")
    try:
        spec = synth.spec
        native = spec.sample(np.random.default_rng(2026), 48)
        unison = {
            "osc2_pitch": 0.0,
            "osc2_range": 0.0,
            "osc2_detune": 0.0,
            "osc_mix_mode": 0.0,
            "freq_mod_amount": 0.0,
        }
        for name, value in unison.items():
            native[:, spec.index(name)] = value
        audio = synth.render(native, notes_for(spec, native))
    finally:
        synth.close()
    notes = list(native[:, spec.note_index])
    assert len(set(notes)) > 12  # the note range is covered
    rms_db = 10 * np.log10(np.mean(audio.astype(np.float64) ** 2, axis=(1, 2)) + 1e-20)
    audible = rms_db > SILENT_RMS_DB
    assert audible.sum() >= 0.9 * len(audio), f"{(~audible).sum()} silent renders"
    estimates = [estimate_pitch(a, spec.sample_rate) for a in audio[audible]]
    assert accuracy(estimates, [n for n, a in zip(notes, audible, strict=True) if a]) >= 0.95

"""Plugin hosts: load a VST2, VST3 or Audio Unit instrument and render MIDI notes headless.

Two backends share one small interface (:class:`PluginHost`):

- ``dawdreamer`` (VST2 ``.so``/``.dll``/``.vst`` and VST3), through DawDreamer's render engine;
- ``pedalboard`` (VST3 and Audio Units), through Spotify's pedalboard.

Every render starts from the same plugin state, so the same parameters and notes always give the
same audio. Before each render the host *flushes*: it drives every parameter to both ends and
then to the plugin's default value (canonical state for anything the plugin derives from the last
value set), retriggers and releases the previous and the coming notes (voices fade out the way
they normally end; cutting them would leave smoothing filters in a stale state), sends MIDI "All
Sound Off" (CC 120, clears effect tails such as reverbs) and renders a short silence. Then it sets
the requested raw values and re-prepares the plugin (which resets sample-rate-dependent state
such as amsynth's output limiter) before rendering the notes.

Plugins print to stdout and stderr while loading (amsynth: "could not create ~/.local/share/...");
that output is captured, logged at debug level and quoted in the error when loading fails.
Never call ``load_state`` on amsynth: it reaches GTK and crashes without a display.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from patchflow.synths.base import Note

log = logging.getLogger(__name__)

BACKENDS = ("dawdreamer", "pedalboard")
VST2_SUFFIXES = (".so", ".dll", ".vst")
PEDALBOARD_SUFFIXES = (".vst3", ".component")
WARMUP_S = 0.25


class PluginLoadError(RuntimeError):
    """A plugin could not be loaded; the message names the path, the backend and the reason."""


@dataclass(frozen=True)
class PluginParameter:
    """One automatable plugin parameter as the host reports it.

    Attributes:
        index: Parameter index in the plugin.
        name: Name as the plugin reports it (``amp_attack``, ``A Osc 1 Pitch``).
        default_raw: Raw (normalised 0..1) value right after loading.
        text: The plugin's display text at ``default_raw``.
        label: Unit label the plugin reports (may be empty).
        num_steps: Number of discrete steps the plugin declares (0: continuous or unknown).
    """

    index: int
    name: str
    default_raw: float
    text: str
    label: str = ""
    num_steps: int = 0


def normalize_name(name: str) -> str:
    """A parameter name as pedalboard spells it: ``"A Osc 1 Pitch"`` -> ``a_osc_1_pitch``."""
    name = name.lower().strip().replace("#", "_sharp").replace("♯", "_sharp").replace("♭", "_flat")
    chars = [c if c.isalnum() and c.isprintable() and ord(c) < 128 else "_" for c in name]
    out = "".join(chars)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


def backend_for(path: str | Path, backend: str | None = None) -> str:
    """The backend for a plugin file: ``backend`` if given, else by file type."""
    if backend is not None:
        if backend not in BACKENDS:
            raise PluginLoadError(f"{path}: unknown backend {backend!r}; choose from {BACKENDS}")
        return backend
    suffix = Path(path).suffix.lower()
    if suffix == ".component":
        return "pedalboard"
    if suffix == ".vst3":
        try:
            import pedalboard  # noqa: F401
        except ImportError:
            return "dawdreamer"
        return "pedalboard"
    return "dawdreamer"


def open_plugin(
    path: str | Path,
    backend: str | None = None,
    sample_rate: int = 44100,
    block_size: int = 512,
    flush_s: float | None = None,
    preset: str | Path | None = None,
) -> PluginHost:
    """Load a plugin with the backend chosen by :func:`backend_for`.

    Args:
        path: Plugin file or bundle.
        backend: ``dawdreamer``, ``pedalboard`` or ``None`` (by file type).
        sample_rate: Render sample rate in Hz.
        block_size: Processing block size in samples.
        flush_s: Seconds of silence rendered between renders (backend default when ``None``).
        preset: Optional preset file applied once after loading (``.vstpreset``/``.fxp``).

    Raises:
        PluginLoadError: The file is missing, the backend is not installed or refuses the file.
    """
    path = Path(path).expanduser()
    name = backend_for(path, backend)
    if not path.exists():
        raise PluginLoadError(f"{path}: {name} could not load the plugin: no such file")
    host_cls = DawDreamerHost if name == "dawdreamer" else PedalboardHost
    return host_cls(path, sample_rate, block_size, flush_s, preset)


class PluginHost:
    """Common interface of the backends (see the module docstring for the flush procedure)."""

    backend = ""
    default_flush_s = 0.05

    def __init__(
        self, path: Path, sample_rate: int, block_size: int, flush_s: float | None
    ) -> None:
        self.path = path
        self.sample_rate = int(sample_rate)
        self.block_size = int(block_size)
        self.flush_s = self.default_flush_s if flush_s is None else float(flush_s)
        self._last_pitches: tuple[int, ...] = ()
        self._params: list[PluginParameter] = []

    def fail(self, reason: str) -> PluginLoadError:
        return PluginLoadError(f"{self.path}: {self.backend} could not load the plugin: {reason}")

    def parameters(self) -> list[PluginParameter]:
        """The plugin's parameters with their raw defaults (read once, right after loading)."""
        return list(self._params)

    def defaults(self) -> dict[int, float]:
        return {p.index: p.default_raw for p in self._params}

    def text_for(self, index: int, raw: float) -> str:
        """The plugin's display text for parameter ``index`` at ``raw`` (state is restored)."""
        raise NotImplementedError

    def render(
        self, raw: Mapping[int, float], notes: Sequence[Note], num_samples: int
    ) -> np.ndarray:
        """Flush, set raw parameter values, play ``notes``; returns float32 ``(channels, T)``."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the plugin (the host is unusable afterwards)."""


# --------------------------------------------------------------------------------------------
# DawDreamer
# --------------------------------------------------------------------------------------------


class DawDreamerHost(PluginHost):
    """VST2 and VST3 plugins through DawDreamer's ``RenderEngine``."""

    backend = "dawdreamer"
    default_flush_s = 0.05

    def __init__(
        self,
        path: Path,
        sample_rate: int,
        block_size: int,
        flush_s: float | None,
        preset: str | Path | None = None,
    ) -> None:
        super().__init__(path, sample_rate, block_size, flush_s)
        try:
            import dawdreamer
        except ImportError:
            raise self.fail("dawdreamer is not installed (pip install dawdreamer)") from None
        self._engine = dawdreamer.RenderEngine(self.sample_rate, self.block_size)
        with captured_output() as captured:
            try:
                self._proc = self._engine.make_plugin_processor("synth", str(path))
            except RuntimeError as err:
                raise self.fail(_reason(err, captured())) from None
            log.debug("%s: load output: %s", path, captured().strip())
        if preset is not None:
            self._load_preset(Path(preset))
        self._graph: list[tuple[Any, list[str]]] = [(self._proc, [])]
        self._engine.load_graph(self._graph)
        n = self._proc.get_plugin_parameter_size()
        if n <= 0:
            raise self.fail("it exposes no parameters")
        if self._proc.get_num_output_channels() <= 0:
            raise self.fail("it has no audio outputs (not an instrument?)")
        descriptions = {d["index"]: d for d in self._proc.get_parameters_description()}
        self._params = [
            PluginParameter(
                index=i,
                name=self._proc.get_parameter_name(i),
                default_raw=float(self._proc.get_parameter(i)),
                text=self._proc.get_parameter_text(i),
                label=str(descriptions.get(i, {}).get("label", "")),
                num_steps=_declared_steps(descriptions.get(i, {}).get("numSteps", 0)),
            )
            for i in range(n)
        ]
        self._tmp = tempfile.TemporaryDirectory(prefix="patchflow-midi-")
        self._sound_off = Path(self._tmp.name) / "all-sound-off.mid"
        _write_sound_off(self._sound_off, at_s=min(0.02, self.flush_s / 2))
        self._warm_up()

    def _load_preset(self, preset: Path) -> None:
        load = (
            self._proc.load_vst3_preset if preset.suffix == ".vstpreset" else self._proc.load_preset
        )
        try:
            ok = load(str(preset))
        except RuntimeError as err:
            raise self.fail(f"preset {preset}: {err}") from None
        if ok is False:
            raise self.fail(f"preset {preset} was refused")

    def _warm_up(self) -> None:
        """Play every key once so per-voice smoothers start settled (amsynth smooths per voice)."""
        self._set(self.defaults())
        self._proc.clear_midi()
        for pitch in range(128):
            self._proc.add_midi_note(pitch, 100, 0.0, WARMUP_S / 2)
        self._engine.render(WARMUP_S)
        self._last_pitches = tuple(range(128))
        self.render({}, [Note(60, 100, 0.0, 0.05)], self.block_size)

    def _set(self, raw: Mapping[int, float]) -> None:
        for index, value in raw.items():
            self._proc.set_parameter(int(index), float(value))

    def _flush(self, pitches: Sequence[int]) -> None:
        """Canonical parameter state, release ``pitches``, then All Sound Off and silence.

        Every parameter is driven to raw 0, raw 1 and back to its default: plugins may keep
        state derived from the last value set (amsynth's LFO polarity is flipped by "sawtooth
        up/down" and kept by the other shapes), and this leaves such state the same each time.
        """
        for index in range(len(self._params)):
            self._proc.set_parameter(index, 0.0)
            self._proc.set_parameter(index, 1.0)
        self._set(self.defaults())
        self._proc.clear_midi()
        self._proc.load_midi(
            str(self._sound_off), clear_previous=True, beats=False, all_events=True
        )
        for pitch in pitches:
            self._proc.add_midi_note(pitch, 100, 0.0, 0.002)
        self._engine.render(self.flush_s)

    def text_for(self, index: int, raw: float) -> str:
        old = self._proc.get_parameter(index)
        self._proc.set_parameter(index, float(raw))
        text = self._proc.get_parameter_text(index)
        self._proc.set_parameter(index, old)
        return text

    def render(
        self, raw: Mapping[int, float], notes: Sequence[Note], num_samples: int
    ) -> np.ndarray:
        # Retrigger the last notes (cut tails) and the coming ones (settle their voices' state).
        self._flush(sorted(set(self._last_pitches) | {n.pitch for n in notes}))
        values = self.defaults()
        values.update(raw)
        self._set(values)
        self._engine.load_graph(self._graph)  # re-prepares the plugin: resets rate-dependent state
        self._proc.clear_midi()
        for n in notes:
            length_s = max(n.off_s - n.on_s, 1.0 / self.sample_rate)
            self._proc.add_midi_note(n.pitch, n.velocity, n.on_s, length_s)
        self._engine.render((num_samples + 0.5) / self.sample_rate)
        self._last_pitches = tuple(sorted({n.pitch for n in notes}))
        return _fit(np.asarray(self._engine.get_audio(), dtype=np.float32), num_samples)

    def close(self) -> None:
        self._tmp.cleanup()


def _declared_steps(value: Any) -> int:
    steps = int(value) if isinstance(value, int | float) else 0
    return steps if 1 < steps < 2**20 else 0


def _write_sound_off(path: Path, at_s: float) -> None:
    import mido

    midi = mido.MidiFile(ticks_per_beat=1000)  # with 1 s per beat, one tick is 1 ms
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=1_000_000, time=0))
    tick = round(at_s * 1000)
    for channel in range(16):
        track.append(mido.Message("control_change", channel=channel, control=120, time=tick))
        tick = 0
    midi.save(path)


# --------------------------------------------------------------------------------------------
# pedalboard
# --------------------------------------------------------------------------------------------


class PedalboardHost(PluginHost):
    """VST3 and Audio Unit plugins through pedalboard (``reset=True`` clears voices and tails)."""

    backend = "pedalboard"
    default_flush_s = 0.25

    def __init__(
        self,
        path: Path,
        sample_rate: int,
        block_size: int,
        flush_s: float | None,
        preset: str | Path | None = None,
    ) -> None:
        super().__init__(path, sample_rate, block_size, flush_s)
        try:
            import pedalboard
        except ImportError:
            raise self.fail("pedalboard is not installed (pip install pedalboard)") from None
        with captured_output() as captured:
            try:
                plugin: Any = pedalboard.load_plugin(str(path))
            except (ImportError, RuntimeError, ValueError) as err:
                raise self.fail(_reason(err, captured())) from None
        if not getattr(plugin, "is_instrument", False):
            raise self.fail("it is not an instrument (pedalboard reports an effect)")
        if preset is not None:
            try:
                plugin.load_preset(str(preset))
            except (RuntimeError, ValueError) as err:
                raise self.fail(f"preset {preset}: {err}") from None
        self._plugin = plugin
        self._cpp = list(plugin._parameters)  # the C++ parameters: fast raw access by index
        self._params = [
            PluginParameter(
                index=i,
                name=p.name,
                default_raw=float(p.raw_value),
                text=str(p.string_value),
                label=str(p.label or ""),
                num_steps=_declared_steps(p.num_steps),
            )
            for i, p in enumerate(self._cpp)
        ]

    def text_for(self, index: int, raw: float) -> str:
        return str(self._cpp[index].get_text_for_raw_value(float(raw)))

    def render(
        self, raw: Mapping[int, float], notes: Sequence[Note], num_samples: int
    ) -> np.ndarray:
        values = self.defaults()
        values.update(raw)
        for index, value in values.items():
            self._cpp[index].raw_value = float(value)
        sound_off: list[Any] = [(bytes([0xB0 | ch, 120, 0]), 0.0) for ch in range(16)]
        common = {
            "sample_rate": self.sample_rate,
            "num_channels": 2,
            "buffer_size": self.block_size,
        }
        self._plugin.process(sound_off, duration=self.flush_s, reset=True, **common)
        messages: list[Any] = []
        for n in notes:
            messages.append((bytes([0x90, n.pitch, n.velocity]), n.on_s))
            messages.append(
                (bytes([0x80, n.pitch, 0]), max(n.off_s, n.on_s + 1.0 / self.sample_rate))
            )
        audio = self._plugin.process(
            messages, duration=num_samples / self.sample_rate, reset=False, **common
        )
        return _fit(np.asarray(audio, dtype=np.float32), num_samples)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _fit(audio: np.ndarray, num_samples: int) -> np.ndarray:
    audio = np.atleast_2d(audio)
    if audio.shape[1] >= num_samples:
        return np.ascontiguousarray(audio[:, :num_samples])
    return np.pad(audio, ((0, 0), (0, num_samples - audio.shape[1])))


def _reason(err: BaseException, output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()][-3:]
    detail = f" (plugin output: {' | '.join(lines)})" if lines else ""
    return f"{err}{detail}"


def _flush_c_stdio() -> None:
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):  # no C runtime handle (e.g. Windows): skip
        pass


@contextlib.contextmanager
def captured_output() -> Iterator[Any]:
    """Capture what native code writes to the stdout/stderr file descriptors.

    Yields a function returning the captured text so far (valid inside the ``with`` block).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = [(fd, os.dup(fd)) for fd in (1, 2)]

        def read() -> str:
            _flush_c_stdio()
            sink.seek(0)
            return sink.read().decode(errors="replace")

        try:
            for fd, _ in saved:
                os.dup2(sink.fileno(), fd)
            yield read
        finally:
            _flush_c_stdio()
            for fd, copy in saved:
                os.dup2(copy, fd)
                os.close(copy)

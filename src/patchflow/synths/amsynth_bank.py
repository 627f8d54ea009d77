"""amsynth bank files: write matched patches as presets amsynth's own browser loads, and read them.

A bank file (``/usr/share/amsynth/banks/*``) is plain text::

    amSynth
    <preset> <name> NAME
    <parameter> amp_attack 0.0333333
    ... (one line per parameter, amsynth's own values)
    EOF

amsynth 1.13 (``PresetController.cpp``, ``readBankFile``) accepts a file whose first 8 bytes are
``amSynth\\n``, starts a preset at each ``<preset> <name> `` line (the name runs to the end of the
line), sets each ``<parameter> NAME VALUE`` with its own number parser (digits and one ``.``;
values containing ``e`` go through a C-locale stream) and then clamps the value to the
parameter's range and rounds stepped parameters. Parameters missing from a preset keep
amsynth's defaults; slots after the last preset are filled with default presets, so a bank need
not hold 128 presets, but it must not hold more (1.13.2 writes past its 128-slot array). A name
the file does not know trips an assertion, so only amsynth's 41 names are written. amsynth itself
writes 6 significant digits and an ``EOF`` line; we write 7 significant digits, never an
exponent, and the same ``EOF``.

The browser lists every amsynth file in the user banks folder (``user_banks_dir()``,
``$XDG_DATA_HOME/amsynth/banks``) and the factory folder; the VST2 exposes the same banks as
programs ``bank * 128 + preset`` (user banks first, each folder sorted by file name), which is
how :func:`read_bank_through_plugin` reads a bank back through the plug-in's own loader.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from patchflow.spec import Param, SynthSpec

__all__ = [
    "AMSYNTH_PARAMETERS",
    "MAX_PRESETS",
    "AmsynthParameter",
    "BankFormatError",
    "BankPreset",
    "bank_values",
    "format_value",
    "natives_from_bank",
    "read_bank",
    "read_bank_through_plugin",
    "user_banks_dir",
    "write_bank",
]

HEADER = "amSynth"
PRESET_PREFIX = "<preset> <name> "
PARAMETER_PREFIX = "<parameter> "
MAX_PRESETS = 128


@dataclass(frozen=True)
class AmsynthParameter:
    """One amsynth parameter as ``Parameter.cpp`` (1.13.2) defines it: default, range, step."""

    name: str
    default: float
    min: float
    max: float
    step: float = 0.0

    def clamp(self, value: float) -> float:
        """The value amsynth stores for ``value`` (``Parameter::setValue``: clamp, round steps)."""
        v = min(max(float(value), self.min), self.max)
        if self.step > 0.0:
            v = self.min + round((v - self.min) / self.step) * self.step
        return v


# In amsynth's parameter order (the VST2 parameter indices and the order amsynth writes).
AMSYNTH_PARAMETERS: tuple[AmsynthParameter, ...] = (
    AmsynthParameter("amp_attack", 0.0, 0.0, 2.5),
    AmsynthParameter("amp_decay", 0.0, 0.0, 2.5),
    AmsynthParameter("amp_sustain", 1.0, 0.0, 1.0),
    AmsynthParameter("amp_release", 0.0, 0.0, 2.5),
    AmsynthParameter("osc1_waveform", 2.0, 0.0, 4.0, 1.0),
    AmsynthParameter("filter_attack", 0.0, 0.0, 2.5),
    AmsynthParameter("filter_decay", 0.0, 0.0, 2.5),
    AmsynthParameter("filter_sustain", 1.0, 0.0, 1.0),
    AmsynthParameter("filter_release", 0.0, 0.0, 2.5),
    AmsynthParameter("filter_resonance", 0.0, 0.0, 0.97),
    AmsynthParameter("filter_env_amount", 0.0, -16.0, 16.0),
    AmsynthParameter("filter_cutoff", 1.5, -0.5, 1.5),
    AmsynthParameter("osc2_detune", 0.0, -1.0, 1.0),
    AmsynthParameter("osc2_waveform", 2.0, 0.0, 4.0, 1.0),
    AmsynthParameter("master_vol", 0.67, 0.0, 1.0),
    AmsynthParameter("lfo_freq", 0.0, 0.0, 7.5),
    AmsynthParameter("lfo_waveform", 0.0, 0.0, 6.0, 1.0),
    AmsynthParameter("osc2_range", 0.0, -3.0, 4.0, 1.0),
    AmsynthParameter("osc_mix", 0.0, -1.0, 1.0),
    AmsynthParameter("freq_mod_amount", 0.0, 0.0, 1.25992105),
    AmsynthParameter("filter_mod_amount", -1.0, -1.0, 1.0),
    AmsynthParameter("amp_mod_amount", -1.0, -1.0, 1.0),
    AmsynthParameter("osc_mix_mode", 0.0, 0.0, 1.0),
    AmsynthParameter("osc1_pulsewidth", 1.0, 0.0, 1.0),
    AmsynthParameter("osc2_pulsewidth", 1.0, 0.0, 1.0),
    AmsynthParameter("reverb_roomsize", 0.0, 0.0, 1.0),
    AmsynthParameter("reverb_damp", 0.0, 0.0, 1.0),
    AmsynthParameter("reverb_wet", 0.0, 0.0, 1.0),
    AmsynthParameter("reverb_width", 1.0, 0.0, 1.0),
    AmsynthParameter("distortion_crunch", 0.0, 0.0, 0.9),
    AmsynthParameter("osc2_sync", 0.0, 0.0, 1.0, 1.0),
    AmsynthParameter("portamento_time", 0.0, 0.0, 1.0),
    AmsynthParameter("keyboard_mode", 0.0, 0.0, 2.0, 1.0),
    AmsynthParameter("osc2_pitch", 0.0, -12.0, 12.0, 1.0),
    AmsynthParameter("filter_type", 0.0, 0.0, 4.0, 1.0),
    AmsynthParameter("filter_slope", 1.0, 0.0, 1.0, 1.0),
    AmsynthParameter("freq_mod_osc", 0.0, 0.0, 2.0, 1.0),
    AmsynthParameter("filter_kbd_track", 1.0, 0.0, 1.0),
    AmsynthParameter("filter_vel_sens", 1.0, 0.0, 1.0),
    AmsynthParameter("amp_vel_sens", 1.0, 0.0, 1.0),
    AmsynthParameter("portamento_mode", 0.0, 0.0, 1.0),
)
_BY_NAME = {p.name: p for p in AMSYNTH_PARAMETERS}


class BankFormatError(ValueError):
    """A file is not an amsynth bank, or a bank cannot be written as asked."""


@dataclass(frozen=True)
class BankPreset:
    """One preset of a bank: its name and every amsynth parameter's value (amsynth's units)."""

    name: str
    values: Mapping[str, float]


def user_banks_dir() -> Path:
    """The folder amsynth's browser scans for user banks: ``$XDG_DATA_HOME/amsynth/banks``."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "amsynth" / "banks"


def format_value(value: float) -> str:
    """A value as written: 7 significant digits in fixed point (amsynth reads no exponent)."""
    v = float(np.float32(value))
    if not math.isfinite(v):
        raise BankFormatError(f"cannot write the non-finite value {value!r}")
    if abs(v) < 1e-7:
        return "0"
    text = np.format_float_positional(v, precision=7, unique=False, fractional=False, trim="-")
    return text.rstrip(".")


def _bank_parameter(param: Param) -> AmsynthParameter:
    name = param.plugin_name or param.name
    try:
        return _BY_NAME[name]
    except KeyError:
        raise BankFormatError(
            f"spec parameter '{param.name}' has no amsynth parameter '{name}'"
        ) from None


def _spec_to_bank(param: Param, target: AmsynthParameter, native: float) -> float:
    """amsynth's value of one spec native value (through the plug-in's raw 0..1 value)."""
    raw_lo, raw_hi = param.raw_range or (0.0, 1.0)
    if param.kind == "categorical":
        n = param.width
        k = min(max(round(native), 0), n - 1)
        if (
            param.raw_range is None
            and n == round((target.max - target.min) / (target.step or 1)) + 1
        ):
            return target.clamp(target.min + k * (target.step or 1.0))
        u = 0.0 if n <= 1 else k / (n - 1)
    else:
        if param.raw_range is None and (param.min, param.max) == (target.min, target.max):
            return target.clamp(native)
        u = (native - param.min) / (param.max - param.min)
    raw = min(max(raw_lo + u * (raw_hi - raw_lo), 0.0), 1.0)
    return target.clamp(target.min + raw * (target.max - target.min))


def bank_values(spec: SynthSpec, native: np.ndarray) -> dict[str, float]:
    """Every amsynth parameter's value for one native parameter set ``(P,)`` of ``spec``.

    Spec parameters map by ``plugin_name`` (or ``name``) through the plug-in's raw value (see
    :mod:`patchflow.synths.plugin`); note parameters are skipped; amsynth parameters the spec
    does not model keep the values of amsynth's default preset.

    Raises:
        BankFormatError: A spec parameter has no amsynth counterpart, or the shape is wrong.
    """
    native = np.asarray(native, dtype=np.float64)
    if native.shape != (spec.num_params,):
        raise BankFormatError(f"expected {spec.num_params} parameters, got shape {native.shape}")
    values = {p.name: p.default for p in AMSYNTH_PARAMETERS}
    for param, v in zip(spec.params, native, strict=True):
        if param.note_field is not None:
            continue
        target = _bank_parameter(param)
        values[target.name] = _spec_to_bank(param, target, float(v))
    return values


def natives_from_bank(spec: SynthSpec, preset: BankPreset) -> np.ndarray:
    """The spec's native parameter set ``(P,)`` closest to a bank preset (clipped to the spec).

    The inverse of :func:`bank_values` for values inside the spec's ranges; note parameters
    get the spec's default. Used to evaluate on human-designed presets.
    """
    out = np.empty(spec.num_params)
    for j, param in enumerate(spec.params):
        if param.note_field is not None:
            out[j] = param.default
            continue
        target = _bank_parameter(param)
        value = float(preset.values.get(target.name, target.default))
        raw = (value - target.min) / (target.max - target.min)
        raw_lo, raw_hi = param.raw_range or (0.0, 1.0)
        u = min(max((raw - raw_lo) / (raw_hi - raw_lo), 0.0), 1.0)
        if param.kind == "categorical":
            out[j] = round(u * (param.width - 1))
        elif param.raw_range is None and (param.min, param.max) == (target.min, target.max):
            out[j] = value
        else:
            out[j] = param.min + u * (param.max - param.min)
        if param.kind == "discrete":
            out[j] = round(out[j])
    return out


def _clean_name(name: str, index: int) -> str:
    text = " ".join(str(name).split())
    if not text:
        return f"patchflow {index + 1}"
    if text == "unused":  # amsynth does not save presets of this name
        return "unused 1"
    return text


def write_bank(
    path: str | Path, spec: SynthSpec, natives: Sequence[np.ndarray], names: Sequence[str]
) -> None:
    """Write native parameter sets of ``spec`` as an amsynth bank file.

    Args:
        path: The file to write (copy it into :func:`user_banks_dir` for amsynth's browser).
        spec: The spec the native values belong to (an amsynth spec).
        natives: One native parameter set ``(P,)`` per preset, at most 128.
        names: One preset name per parameter set (whitespace collapsed to single spaces).

    Raises:
        BankFormatError: More than 128 presets, names and sets of different lengths, or a spec
            parameter that amsynth does not have.
    """
    natives = list(natives)
    if len(natives) != len(names):
        raise BankFormatError(f"got {len(names)} names for {len(natives)} parameter sets")
    if not natives:
        raise BankFormatError("a bank needs at least one preset")
    if len(natives) > MAX_PRESETS:
        raise BankFormatError(
            f"amsynth banks hold at most {MAX_PRESETS} presets, got {len(natives)}"
        )
    lines = [HEADER]
    for i, (native, name) in enumerate(zip(natives, names, strict=True)):
        values = bank_values(spec, native)
        lines.append(PRESET_PREFIX + _clean_name(name, i))
        lines.extend(
            f"{PARAMETER_PREFIX}{p.name} {format_value(values[p.name])}" for p in AMSYNTH_PARAMETERS
        )
    lines.append("EOF")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_bank(path: str | Path) -> list[BankPreset]:
    """The presets of an amsynth bank file, with the values amsynth holds after loading it.

    Follows ``readBankFile``: every parameter starts at amsynth's default, values are clamped
    and stepped parameters rounded; only complete lines count. Unknown parameter names raise
    (amsynth itself would assert).

    Raises:
        BankFormatError: The file does not start with ``amSynth``, has a parameter line before
            any preset, an unknown parameter, more than 128 presets or an unreadable value.
    """
    data = Path(path).read_bytes()
    if not data.startswith((HEADER + "\n").encode()):
        raise BankFormatError(f"{path}: not an amsynth bank (first line is not '{HEADER}')")
    text = data.decode("utf-8", errors="replace")
    complete = text[len(HEADER) + 1 :].split("\n")[:-1]  # amsynth ignores an unterminated last line
    presets: list[tuple[str, dict[str, float]]] = []
    for number, line in enumerate(complete, start=2):
        if line.startswith(PRESET_PREFIX):
            if len(presets) == MAX_PRESETS:
                raise BankFormatError(f"{path}:{number}: more than {MAX_PRESETS} presets")
            defaults = {p.name: p.default for p in AMSYNTH_PARAMETERS}
            presets.append((line[len(PRESET_PREFIX) :], defaults))
        elif line.startswith(PARAMETER_PREFIX):
            name, sep, value = line[len(PARAMETER_PREFIX) :].partition(" ")
            if not sep:
                continue
            if not presets:
                raise BankFormatError(f"{path}:{number}: parameter line before any preset")
            if name not in _BY_NAME:
                raise BankFormatError(f"{path}:{number}: unknown amsynth parameter '{name}'")
            presets[-1][1][name] = _BY_NAME[name].clamp(_parse_value(value, path, number))
    return [BankPreset(name, values) for name, values in presets]


def _parse_value(text: str, path: str | Path, number: int) -> float:
    """amsynth's ``float_from_string``: a stream read with an ``e``, else digits and one point."""
    if "e" in text:
        try:
            return float(text.split()[0])
        except (ValueError, IndexError):
            raise BankFormatError(f"{path}:{number}: unreadable value '{text}'") from None
    value, scale, seen_point = 0.0, 1.0, False
    body = text[1:] if text.startswith("-") else text
    for ch in body:
        if ch == ".":
            seen_point = True
        elif ch.isdigit():
            value = value * 10.0 + int(ch)
            if seen_point:
                scale /= 10.0
    return -value * scale if text.startswith("-") else value * scale


# --- reading a bank back through the amsynth VST2 (its own loader), in a child process --------

_DISPATCH = ctypes.CFUNCTYPE(
    ctypes.c_ssize_t,
    ctypes.c_void_p,
    ctypes.c_int32,
    ctypes.c_int32,
    ctypes.c_ssize_t,
    ctypes.c_void_p,
    ctypes.c_float,
)
_GET_PARAMETER = ctypes.CFUNCTYPE(ctypes.c_float, ctypes.c_void_p, ctypes.c_int32)
_EFF_OPEN, _EFF_CLOSE, _EFF_SET_PROGRAM, _EFF_GET_PROGRAM_NAME, _EFF_GET_CHUNK = 0, 1, 2, 5, 23
_MASTER_VERSION, _MASTER_PRODUCT_STRING = 1, 33


class _AEffect(ctypes.Structure):
    """The VST 2.4 ``AEffect`` struct (64-bit layout)."""

    _fields_ = [
        ("magic", ctypes.c_int32),
        ("dispatcher", _DISPATCH),
        ("process", ctypes.c_void_p),
        ("setParameter", ctypes.c_void_p),
        ("getParameter", _GET_PARAMETER),
        ("numPrograms", ctypes.c_int32),
        ("numParams", ctypes.c_int32),
        ("numInputs", ctypes.c_int32),
        ("numOutputs", ctypes.c_int32),
        ("flags", ctypes.c_int32),
        ("resvd1", ctypes.c_ssize_t),
        ("resvd2", ctypes.c_ssize_t),
        ("initialDelay", ctypes.c_int32),
        ("realQualities", ctypes.c_int32),
        ("offQualities", ctypes.c_int32),
        ("ioRatio", ctypes.c_float),
        ("object", ctypes.c_void_p),
        ("user", ctypes.c_void_p),
        ("uniqueID", ctypes.c_int32),
        ("version", ctypes.c_int32),
        ("processReplacing", ctypes.c_void_p),
        ("processDoubleReplacing", ctypes.c_void_p),
        ("future", ctypes.c_char * 56),
    ]


@_DISPATCH
def _audio_master(effect, opcode, index, value, ptr, opt):
    if opcode == _MASTER_VERSION:
        return 2400
    if opcode == _MASTER_PRODUCT_STRING and ptr:
        ctypes.memmove(ptr, b"patchflow\0", 10)
        return 1
    return 0


def _plugin_programs(plugin: Path, banks: Path, bank_file: str, count: int) -> list[dict]:
    """In this (child) process: select the bank's presets as programs, read them back."""
    lib = ctypes.CDLL(str(plugin))
    entry = lib.VSTPluginMain
    entry.restype = ctypes.POINTER(_AEffect)
    entry.argtypes = [_DISPATCH]
    effect = entry(_audio_master)  # amsynth scans its banks (and creates 'default') here
    fx = effect.contents
    handle = ctypes.cast(effect, ctypes.c_void_p)
    if fx.numParams != len(AMSYNTH_PARAMETERS):
        raise BankFormatError(f"{plugin}: {fx.numParams} parameters, expected 41 (not amsynth?)")
    listed = _user_bank_files(banks)
    if bank_file not in listed or fx.numPrograms < len(listed) * MAX_PRESETS:
        raise BankFormatError(f"{plugin} did not list {banks / bank_file} as a bank")
    first = listed.index(bank_file) * MAX_PRESETS
    fx.dispatcher(handle, _EFF_OPEN, 0, 0, None, 0.0)
    out: list[dict] = []
    for i in range(count):
        fx.dispatcher(handle, _EFF_SET_PROGRAM, 0, first + i, None, 0.0)
        chunk = ctypes.c_char_p()
        size = fx.dispatcher(handle, _EFF_GET_CHUNK, 0, 0, ctypes.byref(chunk), 0.0)
        text = ctypes.string_at(chunk, size).decode("utf-8", errors="replace")
        name = next(
            (ln[len(PRESET_PREFIX) :] for ln in text.splitlines() if ln.startswith(PRESET_PREFIX)),
            "",
        )
        values = {
            p.name: p.min + float(fx.getParameter(handle, k)) * (p.max - p.min)
            for k, p in enumerate(AMSYNTH_PARAMETERS)
        }
        out.append({"name": name, "values": values})
    fx.dispatcher(handle, _EFF_CLOSE, 0, 0, None, 0.0)
    return out


def _user_bank_files(folder: Path) -> list[str]:
    """File names amsynth lists as banks in a folder, in its order (byte-sorted, header checked)."""
    names = sorted(os.listdir(folder), key=lambda n: n.encode())
    return [
        n
        for n in names
        if (folder / n).is_file() and (folder / n).read_bytes()[:8] == (HEADER + "\n").encode()
    ]


def read_bank_through_plugin(
    path: str | Path, plugin_path: str | Path | None = None, timeout_s: float = 60.0
) -> list[BankPreset]:
    """The presets of a bank as the amsynth VST2 loads them with its own bank reader.

    A child process gets a private ``XDG_DATA_HOME`` whose user banks folder holds only
    ``path`` (and the ``default`` bank amsynth creates there), loads the plug-in with a minimal
    VST2 host, selects each preset as a program (``effSetProgram``: what a host's program list
    and amsynth's browser do) and reads the name (``effGetChunk``) and every parameter value
    (the plug-in's normalised value mapped to amsynth's range) back.

    Args:
        path: The bank file.
        plugin_path: The amsynth VST2 (default: its usual install location).
        timeout_s: Time allowed for the child process.

    Raises:
        BankFormatError: The plug-in did not list the bank, or the child process failed.
        PluginLoadError: No amsynth VST2 at the default locations.
    """
    from patchflow.synths.plugin import resolve_plugin_path

    plugin_path = resolve_plugin_path("amsynth", plugin_path)
    count = len(read_bank(path))
    with tempfile.TemporaryDirectory(prefix="patchflow-amsynth-") as tmp:
        root = Path(tmp)
        banks = root / "data" / "amsynth" / "banks"
        banks.mkdir(parents=True)
        (root / "config").mkdir()
        shutil.copyfile(path, banks / "patchflow.bank")
        out = root / "programs.json"
        env = dict(
            os.environ, XDG_DATA_HOME=str(root / "data"), XDG_CONFIG_HOME=str(root / "config")
        )
        bank = banks / "patchflow.bank"
        cmd = [sys.executable, "-m", "patchflow.synths.amsynth_bank", str(plugin_path), str(bank)]
        cmd += [str(count), str(out)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s)
        if done.returncode != 0 or not out.exists():
            raise BankFormatError(
                f"{plugin_path}: reading {path} through the plug-in failed "
                f"(exit {done.returncode}): {done.stderr.strip()[-800:]}"
            )
        rows = json.loads(out.read_text())
    return [BankPreset(str(r["name"]), dict(r["values"])) for r in rows]


def _child_main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="read a user bank through the amsynth VST2")
    parser.add_argument("plugin", type=Path)
    parser.add_argument("bank", type=Path, help="the bank file inside the user banks folder")
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    rows = _plugin_programs(args.plugin, args.bank.parent, args.bank.name, args.count)
    args.out.write_text(json.dumps(rows))


if __name__ == "__main__":
    _child_main()

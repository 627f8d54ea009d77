"""MIDI: parameter-to-controller maps, value encoding, macro learn, and optional port opening.

Output: each spec parameter can be mapped to a 7-bit CC, a 14-bit CC pair (MSB on controller
``n`` in 1..31, LSB on ``n + 32``) or an NRPN (CC99/CC98 select the parameter, CC6/CC38 carry the
14-bit value). Channels are 1..16 here (mido counts 0..15). Encoding is pure (``mido.Message``
objects, no ports), so it is tested with golden bytes.

Input: :class:`MacroLearn` maps incoming CCs to macro indices, with a learn mode.

Ports: :func:`open_midi_output` / :func:`open_midi_input` return ``None`` with one log line when
the machine has no MIDI system (python-rtmidi raises ``SystemError``, an ``OSError``, without an
ALSA sequencer), so the bridge never crashes for lack of MIDI.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import mido
import numpy as np

from patchflow.bridge.messages import MacroBinding

logger = logging.getLogger(__name__)

MidiKind = Literal["cc7", "cc14", "nrpn"]
MIDI_KINDS: tuple[str, ...] = ("cc7", "cc14", "nrpn")
MAPPING_FILE_VERSION = 1

RESERVED_CCS = frozenset({0, 32, 6, 38, 96, 97, 98, 99, 100, 101, *range(120, 128)})
"""Controllers never generated: bank select (0/32), data entry (6/38), data inc/dec and
(N)RPN select (96-101), channel mode messages (120-127)."""

CC7_CONTROLLERS = tuple(n for n in range(128) if n not in RESERVED_CCS)
CC14_CONTROLLERS = tuple(n for n in range(1, 32) if n not in RESERVED_CCS)
"""MSB controllers usable for 14-bit pairs (LSB = MSB + 32)."""

CC_NRPN_MSB, CC_NRPN_LSB = 99, 98
CC_DATA_MSB, CC_DATA_LSB = 6, 38
CC_RPN_MSB, CC_RPN_LSB = 101, 100
RPN_NULL = 127


@dataclass(frozen=True)
class MidiMapping:
    """Where one parameter goes.

    Args:
        param: Spec parameter name.
        channel: MIDI channel 1..16.
        kind: ``"cc7"`` (0..127), ``"cc14"`` (MSB controller 0..31, LSB = +32) or ``"nrpn"``.
        number: Controller number (cc7: 0..127, cc14: 0..31) or NRPN number 0..16383.
    """

    param: str
    channel: int
    kind: MidiKind
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.channel <= 16:
            raise ValueError(f"{self.param}: MIDI channel {self.channel} is outside 1..16")
        limits = {"cc7": 127, "cc14": 31, "nrpn": 16383}
        if self.kind not in limits:
            raise ValueError(f"{self.param}: kind {self.kind!r} is not one of {MIDI_KINDS}")
        if not 0 <= self.number <= limits[self.kind]:
            raise ValueError(
                f"{self.param}: {self.kind} number {self.number} is outside 0..{limits[self.kind]}"
            )

    def controllers(self) -> tuple[int, ...]:
        """The CC numbers this mapping writes (for conflict checks)."""
        if self.kind == "cc7":
            return (self.number,)
        if self.kind == "cc14":
            return (self.number, self.number + 32)
        return (CC_NRPN_MSB, CC_NRPN_LSB, CC_DATA_MSB, CC_DATA_LSB)


def generate_mapping(
    param_names: Sequence[str], channel: int = 1, kind: MidiKind = "cc7"
) -> list[MidiMapping]:
    """One mapping per parameter, in spec order, skipping reserved controllers.

    cc7 uses the 110 non-reserved controllers per channel, cc14 the 30 MSB controllers 1..31
    (without 6); when a channel is full the next channel is used. nrpn numbers parameters
    0..P-1 on one channel.

    Args:
        param_names: Spec parameter names.
        channel: First MIDI channel (1..16).
        kind: Mapping kind for every parameter.

    Returns:
        The mappings.

    Raises:
        ValueError: If the parameters do not fit in the channels from ``channel`` to 16.
    """
    if kind == "nrpn":
        if len(param_names) > 16384:
            raise ValueError(f"{len(param_names)} parameters exceed the 16384 NRPN numbers")
        return [MidiMapping(name, channel, "nrpn", k) for k, name in enumerate(param_names)]
    if kind not in MIDI_KINDS:
        raise ValueError(f"kind {kind!r} is not one of {MIDI_KINDS}")
    pool = CC7_CONTROLLERS if kind == "cc7" else CC14_CONTROLLERS
    n_channels = -(-len(param_names) // len(pool))
    if channel + n_channels - 1 > 16:
        raise ValueError(
            f"{len(param_names)} parameters need {n_channels} channels of {len(pool)} {kind} "
            f"controllers, starting at channel {channel}"
        )
    return [
        MidiMapping(name, channel + k // len(pool), kind, pool[k % len(pool)])
        for k, name in enumerate(param_names)
    ]


def check_mapping(mapping: Sequence[MidiMapping], param_names: Sequence[str]) -> None:
    """Check names exist, are mapped once, and no two mappings share a controller.

    Raises:
        ValueError: Naming the first problem.
    """
    known = set(param_names)
    seen_params: set[str] = set()
    used: dict[tuple[int, int], str] = {}
    for entry in mapping:
        if entry.param not in known:
            raise ValueError(f"mapping names unknown parameter {entry.param!r}")
        if entry.param in seen_params:
            raise ValueError(f"parameter {entry.param!r} is mapped twice")
        seen_params.add(entry.param)
        if entry.kind == "nrpn":
            key = (entry.channel, 1000 + entry.number)  # NRPNs share CC 6/38/98/99 by design
            if key in used:
                raise ValueError(f"NRPN {entry.number} on channel {entry.channel} is used twice")
            used[key] = entry.param
            continue
        for cc in entry.controllers():
            other = used.get((entry.channel, cc))
            if other is not None:
                raise ValueError(
                    f"{entry.param!r} and {other!r} both use CC{cc} on channel {entry.channel}"
                )
            used[(entry.channel, cc)] = entry.param


def write_mapping(path: str | Path, mapping: Sequence[MidiMapping]) -> None:
    """Write a mapping file (format in docs/protocol.md)."""
    doc = {"version": MAPPING_FILE_VERSION, "mappings": [asdict(m) for m in mapping]}
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def read_mapping(path: str | Path, param_names: Sequence[str] | None = None) -> list[MidiMapping]:
    """Read and validate a mapping file.

    Args:
        path: JSON mapping file.
        param_names: If given, the names are checked against the spec (and conflicts checked).

    Raises:
        ValueError: On a malformed file or invalid mapping, naming the entry.
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read MIDI mapping file {str(path)!r}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("version") != MAPPING_FILE_VERSION:
        raise ValueError(f'{path}: expected a JSON object with "version": {MAPPING_FILE_VERSION}')
    entries = doc.get("mappings")
    if not isinstance(entries, list):
        raise ValueError(f'{path}: "mappings" must be a list')
    mapping = []
    for k, entry in enumerate(entries):
        if not isinstance(entry, dict) or set(entry) != {"param", "channel", "kind", "number"}:
            raise ValueError(f"{path}: mapping {k} must have exactly param, channel, kind, number")
        if not isinstance(entry["param"], str) or not all(
            isinstance(entry[f], int) and not isinstance(entry[f], bool)
            for f in ("channel", "number")
        ):
            raise ValueError(f"{path}: mapping {k} has a mistyped field: {entry}")
        mapping.append(
            MidiMapping(entry["param"], entry["channel"], entry["kind"], entry["number"])
        )
    if param_names is not None:
        check_mapping(mapping, param_names)
    return mapping


def quantize(value01: float, bits: int) -> int:
    """Round a 0..1 value to an unsigned ``bits``-bit integer (half up, clipped)."""
    top = (1 << bits) - 1
    value = float(np.clip(value01, 0.0, 1.0)) if np.isfinite(value01) else 0.0
    return int(np.floor(value * top + 0.5))


def _cc(channel: int, control: int, value: int) -> mido.Message:
    return mido.Message("control_change", channel=channel - 1, control=control, value=value)


def encode_mapping_value(entry: MidiMapping, value01: float) -> list[mido.Message]:
    """The messages that set one mapped parameter (without the NRPN null)."""
    if entry.kind == "cc7":
        return [_cc(entry.channel, entry.number, quantize(value01, 7))]
    value14 = quantize(value01, 14)
    msb, lsb = value14 >> 7, value14 & 0x7F
    if entry.kind == "cc14":
        return [_cc(entry.channel, entry.number, msb), _cc(entry.channel, entry.number + 32, lsb)]
    return [
        _cc(entry.channel, CC_NRPN_MSB, entry.number >> 7),
        _cc(entry.channel, CC_NRPN_LSB, entry.number & 0x7F),
        _cc(entry.channel, CC_DATA_MSB, msb),
        _cc(entry.channel, CC_DATA_LSB, lsb),
    ]


def nrpn_null(channel: int) -> list[mido.Message]:
    """(N)RPN null (CC101=127, CC100=127): later data entry edits nothing."""
    return [_cc(channel, CC_RPN_MSB, RPN_NULL), _cc(channel, CC_RPN_LSB, RPN_NULL)]


def encode_values(
    mapping: Sequence[MidiMapping],
    params01: np.ndarray,
    param_names: Sequence[str],
    *,
    send_nrpn_null: bool = True,
) -> list[mido.Message]:
    """Messages that set every mapped parameter to its 0..1 value.

    Args:
        mapping: Mappings (any subset of the parameters, any order; sent in mapping order).
        params01: (P,) values in spec order.
        param_names: Spec names, to find each mapped parameter's value.
        send_nrpn_null: Append one NRPN null per channel that received NRPNs.

    Returns:
        ``mido`` control-change messages; ``msg.bytes()`` gives the wire bytes.
    """
    values = np.asarray(params01, dtype=np.float64).reshape(-1)
    if values.size != len(param_names):
        raise ValueError(f"{values.size} values for {len(param_names)} parameters")
    index = {name: k for k, name in enumerate(param_names)}
    messages: list[mido.Message] = []
    nrpn_channels: list[int] = []
    for entry in mapping:
        messages.extend(encode_mapping_value(entry, float(values[index[entry.param]])))
        if entry.kind == "nrpn" and entry.channel not in nrpn_channels:
            nrpn_channels.append(entry.channel)
    if send_nrpn_null:
        for channel in nrpn_channels:
            messages.extend(nrpn_null(channel))
    return messages


class MidiParamSender:
    """Sends parameter sets to a MIDI output, only for mappings whose value changed.

    Args:
        port: An open mido output port (anything with ``send(msg)``).
        mapping: The parameter mappings.
        param_names: Spec names.
    """

    def __init__(self, port: Any, mapping: Sequence[MidiMapping], param_names: Sequence[str]):
        check_mapping(mapping, param_names)
        self._port = port
        self._mapping = list(mapping)
        self._index = {name: k for k, name in enumerate(param_names)}
        self._last: dict[int, int] = {}
        self._lock = threading.Lock()

    def send(self, params01: np.ndarray) -> int:
        """Send changed values; returns the number of messages sent."""
        values = np.asarray(params01, dtype=np.float64).reshape(-1)
        with self._lock:
            messages: list[mido.Message] = []
            nrpn_channels: set[int] = set()
            for k, entry in enumerate(self._mapping):
                value01 = float(values[self._index[entry.param]])
                quantized = quantize(value01, 7 if entry.kind == "cc7" else 14)
                if self._last.get(k) == quantized:
                    continue
                self._last[k] = quantized
                messages.extend(encode_mapping_value(entry, value01))
                if entry.kind == "nrpn":
                    nrpn_channels.add(entry.channel)
            for channel in sorted(nrpn_channels):
                messages.extend(nrpn_null(channel))
            for msg in messages:
                self._port.send(msg)
        return len(messages)


# ---------------------------------------------------------------------------------------------
# Input: macro learn


@dataclass(frozen=True)
class MacroEvent:
    """A macro move from MIDI: macro ``index`` to ``value`` (0..1)."""

    index: int
    value: float


@dataclass(frozen=True)
class MacroInput:
    """What one incoming MIDI message did.

    Args:
        event: The macro move to apply (None when the message moves no macro).
        learned: The binding the message created in learn mode (None otherwise).
    """

    event: MacroEvent | None = None
    learned: MacroBinding | None = None


class MacroLearn:
    """Maps incoming CCs (channel 1..16, controller) to macro indices, with a learn mode.

    Args:
        n_macros: Number of macros of the model.
        bindings: Initial map from (channel, controller) to macro index.
    """

    def __init__(self, n_macros: int, bindings: dict[tuple[int, int], int] | None = None):
        self.n_macros = n_macros
        self._bindings: dict[tuple[int, int], int] = {}
        self._learning: int | None = None
        self._lock = threading.Lock()
        for (channel, control), index in (bindings or {}).items():
            self.bind(channel, control, index)

    @classmethod
    def default(cls, n_macros: int, channel: int = 1, first_controller: int = 102) -> MacroLearn:
        """Macro ``i`` on CC ``first_controller + i`` (102..119 are undefined in the MIDI spec)."""
        n = min(n_macros, 128 - first_controller)
        return cls(n_macros, {(channel, first_controller + i): i for i in range(n)})

    @property
    def bindings(self) -> dict[tuple[int, int], int]:
        """A copy of the current bindings."""
        with self._lock:
            return dict(self._bindings)

    @property
    def learning(self) -> int | None:
        """The macro index waiting for a controller, if learn mode is armed."""
        with self._lock:
            return self._learning

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.n_macros:
            raise ValueError(f"macro index {index} is outside 0..{self.n_macros - 1}")

    def bind(self, channel: int, control: int, index: int) -> None:
        """Bind a controller to a macro (replacing the macro's and the controller's old binding)."""
        self._check_index(index)
        if not (1 <= channel <= 16 and 0 <= control <= 127):
            raise ValueError(f"channel {channel} / controller {control} out of range")
        with self._lock:
            self._bindings = {k: v for k, v in self._bindings.items() if v != index}
            self._bindings[(channel, control)] = index

    def learn(self, index: int) -> None:
        """Arm learn mode: the next CC received becomes macro ``index``."""
        self._check_index(index)
        with self._lock:
            self._learning = index

    def cancel_learn(self) -> None:
        """Disarm learn mode."""
        with self._lock:
            self._learning = None

    def handle(self, msg: mido.Message) -> MacroEvent | None:
        """Process one incoming message; returns a macro event for a bound (or learned) CC."""
        return self.process(msg).event

    def process(self, msg: mido.Message) -> MacroInput:
        """Process one incoming message: the macro move it makes and the binding it learned."""
        if msg.type != "control_change":
            return MacroInput()
        key = (msg.channel + 1, msg.control)
        learned = None
        with self._lock:
            if self._learning is not None:
                armed = self._learning
                self._learning = None
                self._bindings = {k: v for k, v in self._bindings.items() if v != armed}
                self._bindings[key] = armed
                learned = MacroBinding(index=armed, channel=key[0], controller=key[1])
                logger.info("MIDI learn: CC%d on channel %d -> macro %d", key[1], key[0], armed)
            index = self._bindings.get(key)
        if index is None:
            return MacroInput(learned=learned)
        return MacroInput(MacroEvent(index=index, value=msg.value / 127.0), learned)

    def binding_list(self) -> tuple[MacroBinding, ...]:
        """The bindings ordered by macro index."""
        return tuple(
            MacroBinding(index=index, channel=channel, controller=control)
            for (channel, control), index in sorted(self.bindings.items(), key=lambda kv: kv[1])
        )

    def to_json(self) -> dict[str, Any]:
        """Bindings as a JSON-ready document (format in docs/protocol.md)."""
        items = sorted(self.bindings.items(), key=lambda kv: kv[1])
        return {
            "version": MAPPING_FILE_VERSION,
            "macros": [{"macro": i, "channel": ch, "control": cc} for (ch, cc), i in items],
        }

    @classmethod
    def from_json(cls, n_macros: int, doc: dict[str, Any]) -> MacroLearn:
        """Inverse of :meth:`to_json`.

        Raises:
            ValueError: On a malformed document.
        """
        if not isinstance(doc, dict) or doc.get("version") != MAPPING_FILE_VERSION:
            raise ValueError(f'macro map must be an object with "version": {MAPPING_FILE_VERSION}')
        learn = cls(n_macros)
        for entry in doc.get("macros", []):
            try:
                learn.bind(int(entry["channel"]), int(entry["control"]), int(entry["macro"]))
            except (KeyError, TypeError) as exc:
                raise ValueError(f"bad macro binding {entry!r}") from exc
        return learn


# ---------------------------------------------------------------------------------------------
# Ports

_MIDI_ERRORS = (OSError, RuntimeError, ImportError)  # rtmidi's SystemError is an OSError


def open_midi_output(name: str, *, opener: Callable[..., Any] | None = None) -> Any | None:
    """Open a virtual output port called ``name``, else an existing port of that name.

    Args:
        name: Port name.
        opener: ``mido.open_output``-compatible callable (injectable for tests).

    Returns:
        The port, or None (logged once) when no MIDI system is available or no port matches.
    """
    return _open_port(name, opener if opener is not None else mido.open_output, "output")


def open_midi_input(
    name: str,
    callback: Callable[[mido.Message], None],
    *,
    opener: Callable[..., Any] | None = None,
) -> Any | None:
    """Open a virtual input port (else an existing one) that calls ``callback`` per message.

    Returns:
        The port, or None (logged once) when no MIDI system is available or no port matches.
    """
    open_input = opener if opener is not None else mido.open_input
    return _open_port(name, lambda *a, **k: open_input(*a, callback=callback, **k), "input")


def _open_port(name: str, opener: Callable[..., Any], direction: str) -> Any | None:
    errors: list[str] = []
    for virtual in (True, False):
        try:
            return opener(name, virtual=virtual) if virtual else opener(name)
        except _MIDI_ERRORS as exc:
            errors.append(f"{'virtual' if virtual else 'named'}: {exc}")
    logger.warning(
        "MIDI %s %r unavailable, continuing without it (%s)", direction, name, "; ".join(errors)
    )
    return None


def close_port(port: Any | None) -> None:
    """Close a port if it is open; errors are logged."""
    if port is None:
        return
    try:
        port.close()
    except _MIDI_ERRORS as exc:
        logger.warning("closing MIDI port failed: %s", exc)


def wire_bytes(messages: Iterable[mido.Message]) -> bytes:
    """Concatenated wire bytes of ``messages`` (for golden tests and logging)."""
    return b"".join(bytes(msg.bytes()) for msg in messages)

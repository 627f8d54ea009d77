"""The one config system: typed dataclasses, converted to and from plain dictionaries.

Every config that is saved (in a checkpoint, a dataset file or a model card) round-trips through
:func:`to_dict` and :func:`from_dict`. Named presets are registries of functions returning
configs, and their keys are the CLI ``choices``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")


def to_dict(config: Any) -> dict[str, Any]:
    """A dataclass (nested dataclasses, tuples) as JSON-ready dictionaries and lists."""
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"expected a dataclass instance, got {type(config).__name__}")
    return _plain(dataclasses.asdict(config))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build dataclass ``cls`` from a dictionary, recursing into nested dataclass fields.

    Unknown keys are refused with an error naming them, so a stale or misspelled config fails
    loudly instead of being silently ignored.
    """
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__}: expected a dictionary, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown config keys {unknown}")
    kwargs = {}
    for key, value in data.items():
        kwargs[key] = _coerce(hints[key], value)
    return cls(**kwargs)


def _coerce(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _coerce(args[0], value) if len(args) == 1 else value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return from_dict(hint, value)
    if origin is tuple and isinstance(value, list):
        return tuple(value)
    return value


def replace(config: T, **changes: Any) -> T:
    """``dataclasses.replace`` that ignores ``None`` values (handy for optional CLI overrides)."""
    return dataclasses.replace(config, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[type-var]

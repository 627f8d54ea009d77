"""Synthesizers: the built-in k-osc and plugin hosts, behind one batch render call."""

from patchflow.synths.base import Note, Synth
from patchflow.synths.registry import SYNTHS, create_synth, synth_spec

__all__ = ["SYNTHS", "Note", "Synth", "create_synth", "synth_spec"]

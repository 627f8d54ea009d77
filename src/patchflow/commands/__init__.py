"""CLI verbs, one module each (see :mod:`patchflow.cli`)."""

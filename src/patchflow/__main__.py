"""``python -m patchflow``: the same as the ``patchflow`` command."""

import sys

from patchflow.cli import main

sys.exit(main())

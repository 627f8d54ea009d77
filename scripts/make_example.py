"""Write a k-osc example target (a known patch) to a WAV file, to match with the k-osc model.

Usage: python scripts/make_example.py OUT.wav && patchflow match OUT.wav --model kosc4
"""

from __future__ import annotations

import sys

import numpy as np
import soundfile as sf

from patchflow.synths.kosc import KOsc


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "demo/target.wav"
    synth = KOsc(k=4, num_samples=44100)  # one second; the model listens to the first 1024 samples
    # A known patch: 220 Hz saw, 660 Hz square, 1320 Hz sine, quiet 2800 Hz saw.
    native = np.array([[220.0, 660.0, 1320.0, 2800.0, 0.9, 0.6, 0.5, 0.2, 1.0, 0.0, -1.0, 1.0]])
    audio = synth.render(native)[0, 0]
    sf.write(out, audio, synth.sample_rate)
    print(
        f"wrote {out}: k-osc patch {dict(zip(synth.spec.names, native[0].tolist(), strict=True))}"
    )


if __name__ == "__main__":
    main()

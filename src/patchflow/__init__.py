"""patchflow: synthesizer inversion with conditional flow matching, served live.

The base package needs only numpy (serving path); training code lives in modules that import
torch and are only loaded by the training and export verbs.
"""

__version__ = "0.1.0"

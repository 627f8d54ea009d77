"""Training: typed configs and presets, data batches, checkpoints and the training loop."""

"""Models trained elsewhere: `magenta` loads official magenta/ddsp TensorFlow checkpoints."""

"""Data sources: NSynth-format folders (raw NSynth or the built-in sampled-instrument set)."""

from ddsp_repro.data.nsynth import NSynthExample, acoustic_subset, gansynth_subset, read_examples

__all__ = ["NSynthExample", "acoustic_subset", "gansynth_subset", "read_examples"]

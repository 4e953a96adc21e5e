"""Timbre transfer (paper section 5.4): play any recording, a voice for instance, on a trained model.

The paper's recipe, step by step (`timbre_transfer`):

1. Track f0 (CREPE) of the input; frames below a confidence threshold, at CREPE's bottom bins or
   40 dB below the loudest frame count as unpitched.
2. Run the input through the model's learned room (its reverb) *before* measuring loudness, so
   that its loudness contour is measured as the training recordings' were.
3. Shift f0 by whole octaves into the model's range: by default the shift that brings the input's
   mean pitch nearest the training data's (``octave_shift`` overrides it).
4. Match loudness: map the input's pitched-frame loudness distribution onto the training data's
   (quantile matching), and lower unpitched frames by `quiet_db` so that breaths and silences do
   not turn into notes (the official demo's gating).
5. Hold f0 through unpitched frames (no glides to CREPE's guesses in silence) and resynthesise.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ddsp_repro.demos.common import Loaded, encode, render, require_f0_input
from ddsp_repro.demos.features import DatasetStats, grid_loudness, match_quantiles, measure
from ddsp_repro.dsp import hz_to_midi, midi_to_hz
from ddsp_repro.evaluation.metrics import f0_l1_per_example

__all__ = ["auto_octave_shift", "hold_f0", "timbre_transfer"]

MIN_F0_HZ = 40.0  # CREPE's lowest bins (32.7 Hz and up) are where it rests on silence
GATE_DB = 40.0  # frames this far below the loudest count as pauses


def auto_octave_shift(input_midi: float, target_midi: float) -> int:
    """Whole octaves that bring `input_midi` nearest `target_midi`."""
    return int(round((target_midi - input_midi) / 12.0))


def hold_f0(f0_hz: torch.Tensor, pitched: torch.Tensor) -> torch.Tensor:
    """f0 with each unpitched frame given the nearest pitched frame's value (earlier wins ties)."""
    idx = torch.nonzero(pitched).flatten()
    if idx.numel() == 0:
        return f0_hz.clone()
    frames = torch.arange(f0_hz.numel())
    right = torch.searchsorted(idx, frames).clamp(max=idx.numel() - 1)
    left = (right - 1).clamp(min=0)
    nearest = torch.where((frames - idx[left]).abs() <= (idx[right] - frames).abs(), idx[left], idx[right])
    return f0_hz[nearest]


def timbre_transfer(
    loaded: Loaded,
    audio: np.ndarray,
    stats: DatasetStats | None,
    octave_shift: int | None = None,
    confidence: float = 0.5,
    quiet_db: float = 20.0,
    room: bool = True,
    match_loudness: bool = True,
    crepe_model: str = "tiny",
    seed: int = 0,
) -> dict:
    """Resynthesise mono `audio` (the model's rate, whole frames) with the model; see the module doc.

    Returns the output audio and parts, the input's and the conditioning's f0 / loudness tracks,
    the output's re-measured tracks, the settings used and how closely the output follows them.
    """
    model, grid = loaded.model, loaded.model.config
    require_f0_input(loaded, "timbre transfer")
    features = measure(audio, grid, crepe_model)
    f0_in, conf = features["f0_hz"], features["confidence"]
    # Pitched: CREPE is confident, above its bottom bins (where it sits in silence), and the frame
    # is not far below the loudest one (CREPE can be confident about low hum in the pauses).
    loud = features["loudness_db"] >= features["loudness_db"].max() - GATE_DB
    pitched = (conf >= confidence) & (f0_in >= MIN_F0_HZ) & loud
    if not bool(pitched.any()):
        raise ValueError(
            f"no pitched sound in the input (CREPE confidence below {confidence} on every frame); "
            "lower --confidence, or give a recording with a melody or a voice"
        )
    room_applied = room and model.reverb is not None
    if room_applied:
        with torch.no_grad():
            wet = model.reverb(torch.as_tensor(audio, dtype=torch.float32)[None])[0].numpy()
        loudness_in = grid_loudness(wet, grid)
    else:
        loudness_in = features["loudness_db"]

    input_midi = float(hz_to_midi(f0_in[pitched]).mean())
    if octave_shift is None:
        if stats is None:
            raise ValueError(
                "no training-data statistics for the automatic octave shift; give --octave-shift"
            )
        octave_shift = auto_octave_shift(input_midi, stats.mean_pitch)
    f0 = hold_f0(midi_to_hz(hz_to_midi(f0_in.clamp(min=1.0)) + 12.0 * octave_shift), pitched)

    loudness = loudness_in.double().numpy()
    if match_loudness and stats is not None:
        source_q = np.percentile(loudness[pitched.numpy()], np.arange(101))
        loudness = match_quantiles(loudness, source_q, np.asarray(stats.loudness_quantiles))
    loudness = np.where(pitched.numpy(), loudness, loudness - quiet_db)
    loudness_t = torch.as_tensor(loudness, dtype=torch.float32)

    z = encode(model, audio)
    parts = render(model, f0.float(), loudness_t, z, seed=seed)
    out = measure(parts["audio"], grid, crepe_model)
    f0_l1 = float(f0_l1_per_example(out["f0_hz"][None], f0[None], pitched.float()[None])[0])
    loudness_error = (out["loudness_db"] - loudness_t).abs()
    loudness_l1, loudness_l1_pitched = float(loudness_error.mean()), float(loudness_error[pitched].mean())
    return {
        "parts": parts,
        "input": {"f0_hz": f0_in, "confidence": conf, "loudness_db": features["loudness_db"]},
        "conditioning": {"f0_hz": f0, "loudness_db": loudness_t, "pitched": pitched},
        "output": out,
        "summary": {
            "seconds": round(audio.size / grid.sample_rate, 3),
            "octave_shift": octave_shift,
            "input_mean_pitch_midi": round(input_midi, 2),
            "output_mean_pitch_midi": round(input_midi + 12 * octave_shift, 2),
            "data_mean_pitch_midi": None if stats is None else round(stats.mean_pitch, 2),
            "pitched_fraction": round(float(pitched.float().mean()), 3),
            "confidence_threshold": confidence,
            "room_applied_before_loudness": room_applied,
            "loudness_matched": bool(match_loudness and stats is not None),
            "f0_l1_semitones": None if math.isnan(f0_l1) else round(f0_l1, 4),
            "loudness_l1_db": round(loudness_l1, 3),
            "loudness_l1_pitched_db": round(loudness_l1_pitched, 3),
            "crepe_model": crepe_model,
        },
    }

"""Independent control, interpolation (paper section 5.2) and pitch extrapolation.

`control_table`: notes of the validation set are re-rendered with one conditioning changed at a
time: f0 shifted, loudness offset, or f0 / loudness / z interpolated half-way to another note's.
The outputs' f0 (CREPE) and loudness are measured again and compared with the conditioning asked
for; if the model obeys its controls independently, the errors stay near those of plain
reconstruction (the paper's appendix interpolation table). For z, the spectral centroid of the
output moving from note A's towards note B's shows that z carries timbre.

`extrapolation_table`: a solo-instrument model is driven an octave below and above its training
range; F0 L1 of the output against the conditioning tells whether it still plays those pitches.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ddsp_repro.demos.common import Loaded, encode, render, require_f0_input
from ddsp_repro.demos.features import DatasetStats, measure
from ddsp_repro.dsp import LD_RANGE, hz_to_midi, midi_to_hz
from ddsp_repro.evaluation.metrics import MIN_F0_CONFIDENCE, f0_l1_per_example

__all__ = ["control_table", "extrapolation_table", "spectral_centroid"]

F0_SHIFT = 3.0  # semitones
CREPE_TOP_MIDI = 94.0  # CREPE's highest bin is 1975.5 Hz (MIDI 95); keep tracked notes below it
LOUDNESS_OFFSET = 6.0  # dB


def spectral_centroid(audio: np.ndarray, sample_rate: int, n_fft: int = 1024) -> float:
    """Mean spectral centroid (Hz) over frames within 40 dB of the loudest frame."""
    from ddsp_repro.dsp import compute_mag

    mag = compute_mag(torch.as_tensor(audio, dtype=torch.float32)[None], n_fft)[0].double()  # [frames, bins]
    freqs = torch.linspace(0, sample_rate / 2, mag.shape[-1], dtype=torch.float64)
    energy = (mag**2).sum(-1)
    keep = energy >= energy.max() * 1e-4
    centroid = (mag[keep] * freqs).sum(-1) / mag[keep].sum(-1).clamp(min=1e-12)
    return float(centroid.mean())


def _window(loaded: Loaded, item: dict) -> dict:
    """The first model window of an example: audio and its stored features."""
    n, frames = loaded.model.config.n_samples, loaded.model.config.n_frames
    return {
        "audio": item["audio"][:n].numpy(),
        "f0_hz": item["f0_hz"][:frames],
        "confidence": item["f0_confidence"][:frames],
        "loudness_db": item["loudness_db"][:frames],
    }


def _pitched_pairs(loaded: Loaded, items: list[dict], n_pairs: int) -> list[tuple[dict, dict]]:
    """Pairs of consecutive examples whose windows are mostly pitched (so F0 L1 is defined)."""
    windows = [_window(loaded, it) for it in items]
    good = [w for w in windows if float((w["confidence"] >= MIN_F0_CONFIDENCE).float().mean()) >= 0.5]
    if len(good) < 2:
        raise ValueError("fewer than two mostly-pitched examples in the data to interpolate between")
    return [(good[i], good[(i + 1) % len(good)]) for i in range(min(n_pairs, len(good)))]


def _score(
    loaded: Loaded, parts: dict, f0: torch.Tensor, loudness: torch.Tensor, mask: torch.Tensor, crepe: str
):
    out = measure(parts["audio"], loaded.model.config, crepe)
    f0_l1 = float(f0_l1_per_example(out["f0_hz"][None], f0[None], mask.float()[None])[0])
    ld_l1 = float((out["loudness_db"] - loudness).abs().mean())
    return f0_l1, ld_l1


def _mean(values: list[float]) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    return round(float(np.mean(finite)), 4) if finite else None


def control_table(
    loaded: Loaded, items: list[dict], n_pairs: int = 4, crepe_model: str = "tiny", seed: int = 0
):
    """Rows of (condition, loudness L1 dB, loudness L1 /120, F0 L1 semitones) over `n_pairs` notes.

    Returns ``(rows, renders)``: the table and, for the first pair, every rendered variant (for
    listening). Interpolations are half-way (alpha 0.5); z interpolation also lists the spectral
    centroid at alpha 0, 0.25, ..., 1 for the first pair.
    """
    require_f0_input(loaded, "independent control")
    model = loaded.model
    has_z = model.encoder is not None
    results: dict[str, list[tuple[float, float]]] = {}
    renders: dict[str, np.ndarray] = {}
    centroids: list[list[float]] = []
    for k, (a, b) in enumerate(_pitched_pairs(loaded, items, n_pairs)):
        za, zb = encode(model, a["audio"]), encode(model, b["audio"])
        mask = (a["confidence"] >= MIN_F0_CONFIDENCE) & (a["f0_hz"] > 0)
        both = mask & (b["confidence"] >= MIN_F0_CONFIDENCE) & (b["f0_hz"] > 0)
        midi_a, midi_b = hz_to_midi(a["f0_hz"].clamp(min=1.0)), hz_to_midi(b["f0_hz"].clamp(min=1.0))
        variants = {
            "reconstruction": (a["f0_hz"], a["loudness_db"], za, mask),
            f"f0 +{F0_SHIFT:g} semitones": (midi_to_hz(midi_a + F0_SHIFT), a["loudness_db"], za, mask),
            f"f0 -{F0_SHIFT:g} semitones": (midi_to_hz(midi_a - F0_SHIFT), a["loudness_db"], za, mask),
            f"loudness +{LOUDNESS_OFFSET:g} dB": (a["f0_hz"], a["loudness_db"] + LOUDNESS_OFFSET, za, mask),
            f"loudness -{LOUDNESS_OFFSET:g} dB": (a["f0_hz"], a["loudness_db"] - LOUDNESS_OFFSET, za, mask),
            "f0 interpolation": (midi_to_hz((midi_a + midi_b) / 2), a["loudness_db"], za, both),
            "loudness interpolation": (a["f0_hz"], (a["loudness_db"] + b["loudness_db"]) / 2, za, mask),
        }
        if has_z:
            variants["z interpolation"] = (a["f0_hz"], a["loudness_db"], (za + zb) / 2, mask)
        for name, (f0, loudness, z, m) in variants.items():
            parts = render(model, f0, loudness, z, seed=seed)
            results.setdefault(name, []).append(_score(loaded, parts, f0, loudness, m, crepe_model))
            if k == 0:
                renders[name] = parts["audio"]
        if has_z and k == 0:
            row = []
            for alpha in (0.0, 0.25, 0.5, 0.75, 1.0):
                parts = render(model, a["f0_hz"], a["loudness_db"], (1 - alpha) * za + alpha * zb, seed=seed)
                row.append(round(spectral_centroid(parts["audio"], loaded.sample_rate), 1))
                renders[f"z alpha {alpha:g}"] = parts["audio"]
            centroids.append(row)
            targets = [round(spectral_centroid(w["audio"], loaded.sample_rate), 1) for w in (a, b)]
    rows = []
    for name, values in results.items():
        loudness_l1 = _mean([v[1] for v in values])
        rows.append(
            {
                "condition": name,
                "loudness_l1_db": loudness_l1,
                "loudness_l1_scaled": None if loudness_l1 is None else round(loudness_l1 / LD_RANGE, 4),
                "f0_l1_semitones": _mean([v[0] for v in values]),
                "n_notes": len(values),
            }
        )
    extra = {
        "z_centroid_hz_alpha_0_to_1": centroids[0] if centroids else None,
        "centroid_hz_of_notes_a_b": targets if centroids else None,
    }
    return rows, renders, extra


def extrapolation_table(
    loaded: Loaded, items: list[dict], stats: DatasetStats, n_examples: int = 4, crepe_model: str = "tiny"
):
    """F0 L1 of the model driven inside its training range and an octave beyond each end of it.

    Each phrase keeps its melody and is transposed so that its mean pitch sits an octave below the
    range's bottom ("below"), or an octave above its top ("above"), the latter capped so the phrase
    stays under CREPE's ceiling (MIDI 94, 1.9 kHz) where the result can still be tracked.
    """
    require_f0_input(loaded, "pitch extrapolation")
    windows = [_window(loaded, it) for it in items]
    windows = [w for w in windows if float((w["confidence"] >= MIN_F0_CONFIDENCE).float().mean()) >= 0.3]
    if not windows:
        raise ValueError("no example with enough pitched frames to drive the model with")
    windows = windows[:n_examples]
    results: dict[str, list[tuple[float, float, float, float]]] = {}
    renders = {}
    for i, w in enumerate(windows):
        mask = (w["confidence"] >= MIN_F0_CONFIDENCE) & (w["f0_hz"] > 0)
        midi = hz_to_midi(w["f0_hz"].clamp(min=1.0))
        mean, top = float(midi[mask].mean()), float(midi[mask].max())
        z = encode(loaded.model, w["audio"])
        shifts = {
            "below range": stats.pitch_low - 12.0 - mean,
            "as recorded": 0.0,
            "above range": min(stats.pitch_high + 12.0 - mean, CREPE_TOP_MIDI - top),
        }
        for name, shift in shifts.items():
            played = midi + shift
            f0 = midi_to_hz(played)
            parts = render(loaded.model, f0, w["loudness_db"], z)
            f0_l1 = _score(loaded, parts, f0, w["loudness_db"], mask, crepe_model)[0]
            p = played[mask]
            outside = float(((p < stats.pitch_low) | (p > stats.pitch_high)).float().mean())
            results.setdefault(name, []).append((shift, float(p.mean()), outside, f0_l1))
            if i == 0:
                renders[name] = parts["audio"]
    rows = [
        {
            "condition": name,
            "mean_shift_semitones": _mean([v[0] for v in values]),
            "mean_pitch_midi": _mean([v[1] for v in values]),
            "frames_outside_training_range": _mean([v[2] for v in values]),
            "f0_l1_semitones": _mean([v[3] for v in values]),
            "n_examples": len(values),
        }
        for name, values in results.items()
    ]
    return rows, renders

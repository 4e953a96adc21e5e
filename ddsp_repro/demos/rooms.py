"""Modular decomposition, dereverberation and room transfer (paper section 5.3).

A model with a learned reverb renders a phrase as harmonic, noise and reverb parts. Bypassing the
reverb gives the dry, dereverberated phrase; the learned impulse response applied to other audio
puts that audio in the training recordings' room. `room_demo` measures it: the learned IR's
reverberation time (T20) and direct-to-reverberant ratio, and how long the wet, dry and
transferred signals ring after their sound stops (`evaluation.acoustics.decay_after`). The early decay
time (EDT, 0 to -10 dB) is reported beside T20, since a briefly trained IR decays early and then
keeps a flat floor that T20 extrapolates to a very long time.
"""

from __future__ import annotations

import numpy as np
import torch

from ddsp_repro.demos.common import Loaded, encode, render
from ddsp_repro.evaluation.acoustics import decay_after, drr_db, energy_decay_curve, rt60

__all__ = ["learned_ir", "room_demo"]

TAIL_SECONDS = 3.0  # silence appended so that the tails are heard and measured whole


def learned_ir(loaded: Loaded) -> np.ndarray:
    """The room as one impulse response: the dry path (a unit first tap) plus the learned taps."""
    reverb = loaded.model.reverb
    if reverb is None:
        raise ValueError(f"{loaded.name} has no learned reverb (train a solo-instrument preset)")
    with torch.no_grad():
        ir = reverb.mask_dry(reverb.impulse_response()[None].detach())[0].double().numpy()
    ir[0] += 1.0 if reverb.add_dry else 0.0
    return ir


def _measure(x: np.ndarray, offset: int, sr: int) -> dict:
    """Ring-out after `offset` (see `decay_after`); a silent tail has no decay time and -120 dB."""
    m = decay_after(x, offset, sr)
    return {
        "edt_s": _round(m["edt_s"]),
        "rt60_s": _round(m["rt60_s"]),
        "tail_db": round(max(m["tail_db"], -120.0), 2),
    }


def room_demo(loaded: Loaded, phrase: dict, other_audio: np.ndarray) -> tuple[dict, dict]:
    """Parts of `phrase` (an example window: audio, f0, loudness), dry / wet / transferred audio, measures.

    The source stops at the end of the phrase: the synthesiser's dry output is followed by
    `TAIL_SECONDS` of silence and the learned room is applied to the whole, so the wet signal's
    ring-out can be measured against the dry one's (which stops dead). `other_audio` (mono, the
    model's rate) gets the learned room the same way.
    """
    sr = loaded.sample_rate
    ir = learned_ir(loaded)
    tail = int(TAIL_SECONDS * sr)
    z = encode(loaded.model, phrase["audio"])
    parts = render(loaded.model, phrase["f0_hz"], phrase["loudness_db"], z)
    offset = parts["dry"].size
    padded = {k: np.pad(parts[k], (0, tail)) for k in ("dry", "harmonic", "noise")}
    other = np.pad(np.asarray(other_audio, dtype=np.float32), (0, tail))
    with torch.no_grad():
        wet, transferred = (
            loaded.model.reverb(torch.as_tensor(x)[None])[0].numpy() for x in (padded["dry"], other)
        )
    measures = {
        "learned_ir": {
            "edt_s": _round(rt60(ir, sr, 0.0, -10.0)),
            "rt60_s": _round(rt60(ir, sr)),
            "drr_db": _round(drr_db(ir, sr)),
            "length_s": round(ir.size / sr, 3),
        },
        "wet": _measure(wet, offset, sr),
        "dry": _measure(padded["dry"], offset, sr),
        "other_input": _measure(other, other_audio.size, sr),
        "transferred": _measure(transferred, other_audio.size, sr),
    }
    audio = {
        "wet": wet,
        **padded,
        "reverb": wet - padded["dry"],
        "other_input": other,
        "transferred": transferred,
        "ir": ir.astype(np.float32),
    }
    extra = {
        "audio": audio,
        "edc": energy_decay_curve(ir),
        "offset": offset,
        "other_offset": other_audio.size,
    }
    return measures, extra


def _round(x: float, digits: int = 3) -> float | None:
    return round(float(x), digits) if np.isfinite(x) else None

"""Audio effects applied after synthesis: the learned room reverb (paper §3.3)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ddsp_repro.dsp import core, filtering
from ddsp_repro.processors import Processor

__all__ = ["Reverb"]


class Reverb(Processor):
    """Convolutional reverb with a long impulse response, learned or supplied.

    With ``trainable=True`` the IR is one free parameter of `reverb_length` taps (48,000 = 3 s
    at 16 kHz, as in the official code; some write-ups say 64,000), initialised N(0, 1e-6) and
    shared by the whole dataset: the "room" of the recordings. Its first tap is forced to zero so
    the dry path cannot leak into the wet one, and the dry signal is added back (`add_dry`).
    Bypassing this module gives the dereverberated signal.

    The convolution is one FFT over the whole signal (`fft_convolve` with a single IR frame),
    output cropped to the input length with no delay compensation.

    `tap_scale` multiplies the learned parameter into taps (`impulse_response`): 1 at 16 kHz (the
    official IR); ``16000 / rate`` at other rates (`ddsp_repro.rates.reverb_tap_scale`), so that
    one optimiser step moves the room by the same amount per second of IR at any rate.
    """

    def __init__(
        self, trainable: bool = True, reverb_length: int = 48000, add_dry: bool = True, tap_scale: float = 1.0
    ) -> None:
        super().__init__()
        self.trainable = trainable
        self.reverb_length = reverb_length
        self.add_dry = add_dry
        self.tap_scale = float(tap_scale)
        if trainable:
            self.ir = nn.Parameter(torch.randn(reverb_length) * 1e-6)

    def impulse_response(self) -> Tensor:
        """The learned IR in taps, ``[reverb_length]`` (its first tap is masked when applied)."""
        if not self.trainable:
            raise ValueError("a non-trainable Reverb has no IR of its own")
        return self.ir * self.tap_scale if self.tap_scale != 1.0 else self.ir

    def get_controls(self, audio: Tensor, ir: Tensor | None = None) -> dict[str, Tensor]:
        """``audio [batch, n_samples]`` (and ``ir [batch, ir_size]``, linear taps, when not trainable)
        -> ``{"audio", "ir"}``: the dry audio and the impulse response it is convolved with."""
        if self.trainable:
            if ir is not None:
                raise ValueError("a trainable Reverb uses its own IR; do not pass `ir`")
            ir = self.impulse_response()[None, :].expand(audio.shape[0], -1)
        elif ir is None:
            raise ValueError("a non-trainable Reverb needs an impulse response `ir` [batch, ir_size]")
        return {"audio": audio, "ir": ir}

    @staticmethod
    def mask_dry(ir: Tensor) -> Tensor:
        """Zero the first tap of ``[batch, ir_size]`` (or ``[batch, ir_size, 1]``) IRs."""
        if ir.dim() == 3:
            ir = ir[..., 0]
        core.check_rank(ir, 2, "ir", "[batch, ir_size]")
        return torch.cat([torch.zeros_like(ir[:, :1]), ir[:, 1:]], dim=1)

    def get_signal(self, audio: Tensor, ir: Tensor) -> Tensor:
        """Wet (plus dry) audio ``[batch, n_samples]``."""
        wet = filtering.fft_convolve(audio, self.mask_dry(ir), padding="same", delay_compensation=0)
        return wet + audio if self.add_dry else wet

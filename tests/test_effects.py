"""`Reverb`: the official convolution and a learnable impulse response."""

import numpy as np
import torch

from ddsp_repro.effects import Reverb
from tests.helpers import max_abs, t


def test_reverb_matches_official(official):
    out = Reverb(trainable=False)(t(official["reverb_audio"]), t(official["reverb_ir"]))
    assert max_abs(out, official["reverb_out"]) < 1e-4


def test_trainable_reverb_masks_dry_tap_and_learns():
    reverb = Reverb(trainable=True, reverb_length=48000)
    assert sum(p.numel() for p in reverb.parameters()) == 48000
    with torch.no_grad():
        reverb.ir.fill_(0.0)
        reverb.ir[0] = 1.0  # the first tap is masked: the wet path stays silent
    audio = torch.randn(2, 16000)
    np.testing.assert_allclose(reverb(audio).detach().numpy(), audio.numpy(), atol=1e-5)
    reverb(audio).square().mean().backward()
    assert torch.isfinite(reverb.ir.grad).all()
    assert reverb.ir.grad[0] == 0.0 and reverb.ir.grad[1:].abs().sum() > 0

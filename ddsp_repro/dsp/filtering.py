"""FIR design by frequency sampling and block FFT convolution (paper §3.2 and appendix B.5).

The filtered-noise synthesiser turns each frame's magnitude response into a linear-phase FIR
(inverse real FFT, Hann window, shift to causal form) and applies the frames to consecutive,
non-overlapping blocks of audio; the reverb applies one long IR with the same routine.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ddsp_repro.dsp.core import check_finite, check_rank

__all__ = [
    "apply_window_to_impulse_response",
    "crop_and_compensate_delay",
    "fft_convolve",
    "frequency_filter",
    "frequency_impulse_response",
    "get_fft_size",
    "overlap_add",
]


def get_fft_size(frame_size: int, ir_size: int) -> int:
    """Smallest power of two holding a full linear convolution of a frame with the IR."""
    return 2 ** math.ceil(math.log2(frame_size + ir_size - 1))


def crop_and_compensate_delay(
    audio: Tensor, audio_size: int, ir_size: int, padding: str, delay_compensation: int
) -> Tensor:
    """Crop a convolution's output and drop its leading group delay.

    Args:
        audio: ``[batch, n_samples_out]`` after convolution.
        audio_size: input length before convolution.
        ir_size: impulse-response length.
        padding: ``"same"`` (output as long as the input) or ``"valid"`` (input + IR - 1).
        delay_compensation: samples dropped from the front; negative means the constant group
            delay of a `frequency_impulse_response` filter, ``(ir_size - 1) // 2 - 1``
            (62 samples for the 128-tap noise filters).
    """
    if padding == "same":
        crop_size = audio_size
    elif padding == "valid":
        crop_size = audio_size + ir_size - 1
    else:
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
    start = (ir_size - 1) // 2 - 1 if delay_compensation < 0 else delay_compensation
    if start + crop_size > audio.shape[-1]:
        raise ValueError(f"cannot drop {start} samples of delay and keep {crop_size} from {audio.shape[-1]}")
    return audio[:, start : start + crop_size]


def fft_convolve(
    audio: Tensor,
    impulse_response: Tensor,
    padding: str = "same",
    delay_compensation: int = -1,
) -> Tensor:
    """Filter audio with one or a sequence of impulse responses by block FFT convolution.

    The audio is cut into as many equal, non-overlapping blocks as there are IR frames (the last
    one zero-padded), each block is convolved with its IR through an FFT of the next power of
    two, the results are overlap-added, and the output is cropped by `crop_and_compensate_delay`.

    Args:
        audio: ``[batch, n_samples]``.
        impulse_response: ``[batch, ir_size]`` (time-invariant) or ``[batch, n_frames, ir_size]``
            (time-varying). A batch of 1 is broadcast over the audio's batch.
        padding: ``"same"`` or ``"valid"``.
        delay_compensation: see `crop_and_compensate_delay`; the reverb uses 0.

    Returns:
        ``[batch, n_samples]`` (``"same"``) or ``[batch, n_samples + ir_size - 1]`` (``"valid"``).
    """
    check_rank(audio, 2, "audio", "[batch, n_samples]")
    if impulse_response.dim() == 2:
        impulse_response = impulse_response[:, None, :]
    check_rank(impulse_response, 3, "impulse_response", "[batch, n_frames, ir_size]")
    batch, audio_size = audio.shape
    if impulse_response.shape[0] == 1 and batch > 1:
        impulse_response = impulse_response.expand(batch, -1, -1)
    if impulse_response.shape[0] != batch:
        raise ValueError(f"batch sizes differ: audio {batch}, impulse_response {impulse_response.shape[0]}")
    _, n_ir_frames, ir_size = impulse_response.shape
    frame_size = math.ceil(audio_size / n_ir_frames)
    n_audio_frames = math.ceil(audio_size / frame_size)
    if n_audio_frames != n_ir_frames:
        raise ValueError(
            f"{audio_size} samples cannot be cut into {n_ir_frames} equal blocks (blocks of "
            f"{frame_size} give {n_audio_frames}); use a frame count that divides the audio length"
        )
    pad = n_ir_frames * frame_size - audio_size
    frames = F.pad(audio, (0, pad)).reshape(batch, n_ir_frames, frame_size)

    fft_size = get_fft_size(frame_size, ir_size)
    if impulse_response.stride(0) == 0:  # one IR broadcast over the batch (a learned reverb): one FFT
        impulse_response = impulse_response[:1]
    spectrum = torch.fft.rfft(frames, n=fft_size) * torch.fft.rfft(impulse_response, n=fft_size)
    blocks = torch.fft.irfft(spectrum, n=fft_size)  # [batch, n_frames, fft_size]
    audio_out = overlap_add(blocks, frame_size)
    return crop_and_compensate_delay(audio_out, audio_size, ir_size, padding, delay_compensation)


def overlap_add(blocks: Tensor, hop: int) -> Tensor:
    """Sum ``[batch, n_blocks, block_size]`` blocks placed every `hop` samples ->
    ``[batch, (n_blocks - 1) * hop + block_size]``.

    On the CPU, when the block size is a multiple of the hop (the FFT convolutions here), each
    block is cut into hop-long pieces and each piece position is added as one shifted slice, a few
    large adds (measured faster than `F.fold` there); otherwise `F.fold` does it.
    """
    batch, n_blocks, block_size = blocks.shape
    out_size = (n_blocks - 1) * hop + block_size
    if n_blocks == 1:
        return blocks[:, 0]
    if block_size % hop or blocks.device.type != "cpu":  # one col2im kernel on a GPU
        return F.fold(
            blocks.transpose(1, 2), output_size=(1, out_size), kernel_size=(1, block_size), stride=(1, hop)
        ).reshape(batch, out_size)
    n_pieces = block_size // hop
    pieces = blocks.reshape(batch, n_blocks, n_pieces, hop)
    out = blocks.new_zeros(batch, n_blocks + n_pieces - 1, hop)
    for q in range(n_pieces):
        out[:, q : q + n_blocks] += pieces[:, :, q]
    return out.reshape(batch, out_size)


def apply_window_to_impulse_response(
    impulse_response: Tensor, window_size: int = 0, causal: bool = False
) -> Tensor:
    """Window a zero-phase impulse response with a Hann window and make it causal.

    Args:
        impulse_response: ``[..., ir_size]``, zero-phase (peak at index 0) unless `causal`.
        window_size: window length; ``<= 0`` or larger than the IR means the IR's length.
        causal: the input is already causal (peak in the middle).

    Returns:
        causal IR ``[..., ir_size]``; when a shorter window is used, the official cropping gives
        ``2 * ((window_size + 1) // 2) - 1`` taps (``window_size`` when it is odd).
    """
    if causal:
        impulse_response = torch.fft.fftshift(impulse_response, dim=-1)
    ir_size = impulse_response.shape[-1]
    if window_size <= 0 or window_size > ir_size:
        window_size = ir_size
    # tf.signal.hann_window(periodic=True) is periodic only for even lengths; odd lengths get the
    # symmetric window, and so do they here.
    window = torch.hann_window(
        window_size,
        periodic=window_size % 2 == 0,
        dtype=impulse_response.dtype,
        device=impulse_response.device,
    )
    padding = ir_size - window_size
    half = (window_size + 1) // 2
    if padding > 0:
        window = torch.cat([window[half:], window.new_zeros(padding), window[:half]])
    else:
        window = torch.fft.fftshift(window, dim=-1)
    impulse_response = window * impulse_response
    if padding > 0:
        first_half_start = ir_size - (half - 1) + 1
        return torch.cat(
            [impulse_response[..., first_half_start:], impulse_response[..., : half + 1]], dim=-1
        )
    return torch.fft.fftshift(impulse_response, dim=-1)


def frequency_impulse_response(magnitudes: Tensor, window_size: int = 0) -> Tensor:
    """Linear-phase FIR from a sampled magnitude response (frequency sampling method).

    Args:
        magnitudes: ``[batch, n_frames, n_bands]`` or ``[batch, n_bands]``, real and zero-phase,
            bands linearly spaced from 0 Hz to Nyquist.
        window_size: Hann window length; ``<= 0`` means the full ``2 * (n_bands - 1)`` taps.

    Returns:
        causal impulse responses ``[batch, n_frames, window_size]`` (or ``[batch, window_size]``).
    """
    if magnitudes.dim() not in (2, 3):
        raise ValueError(
            "magnitudes must have shape [batch, n_frames, n_bands] or [batch, n_bands], got "
            f"{list(magnitudes.shape)}"
        )
    if magnitudes.shape[-1] < 2:
        raise ValueError(f"need at least 2 frequency bands, got {magnitudes.shape[-1]}")
    impulse_response = torch.fft.irfft(magnitudes)  # real input: zero phase
    return apply_window_to_impulse_response(impulse_response, window_size)


def frequency_filter(
    audio: Tensor, magnitudes: Tensor, window_size: int = 0, padding: str = "same"
) -> Tensor:
    """Filter audio with time-varying FIR filters designed from magnitude responses.

    Args:
        audio: ``[batch, n_samples]``.
        magnitudes: ``[batch, n_frames, n_bands]`` or ``[batch, n_bands]``; ``n_samples`` is
            split into ``n_frames`` equal blocks.
        window_size: see `frequency_impulse_response`.
        padding: ``"same"`` or ``"valid"``.

    Returns:
        ``[batch, n_samples]`` for ``"same"``.
    """
    check_finite(magnitudes, "magnitudes")
    impulse_response = frequency_impulse_response(magnitudes, window_size=window_size)
    return fft_convolve(audio, impulse_response, padding=padding)

"""Conditioning features of live audio, block by block: causal loudness and buffered CREPE.

`StreamingFeatures` returns, for each block of ``n * hop`` samples, ``n`` frames of f0, confidence
and loudness on the model's frame grid, each frame the one `data.prepare` would compute offline
(`crepe.compute_features`, with the model's alignment), delayed by a fixed ``latency_frames``: a
frame is given out once the last sample of its analysis windows has arrived.

- **Loudness** is exact: the same window (2048 samples at 16 kHz) over the same padded audio.
- **f0**: CREPE on the same 1024-sample 16 kHz windows, decoded by weighted argmax. The offline
  features use Viterbi decoding, which looks at the whole file and cannot run causally; the
  difference is measured in the tests and in ``ddsp-repro stream``'s report.
- **Cost**: CREPE tiny takes ~1.5 ms per frame on one core (CPU), too much for 250 frames a
  second. With ``f0_every = k`` CREPE runs on every k-th frame and f0 in between is interpolated
  (in log frequency; held across unvoiced frames), which costs ``k - 1`` frames of look-ahead and
  is measured against the offline f0 by ``ddsp-repro stream``.
- **Other rates than 16 kHz**: CREPE's 16 kHz copy of the stream comes from `_StreamingResampler`,
  which gives the samples of the offline polyphase resampling (`audio.resample_audio`) once their
  filter support has arrived (a few ms more latency).

Before a stream has filled the windows, the frames given out are silence (f0 0 Hz, loudness at
its floor). Non-finite audio is refused at the boundary.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import torch
from scipy.signal import resample_poly
from torch import Tensor

from ddsp_repro.crepe.decode import decode
from ddsp_repro.crepe.inference import activations, normalize_frames
from ddsp_repro.crepe.model import FRAME_SIZE
from ddsp_repro.crepe.model import SAMPLE_RATE as CREPE_SAMPLE_RATE
from ddsp_repro.dsp.core import LD_RANGE
from ddsp_repro.dsp.spectral import compute_loudness
from ddsp_repro.rates import frame_rate_of, paddings, scaled_size

__all__ = ["StreamingFeatures"]

# `resample_poly`'s default filter: half-length 10 * max(up, down) taps at the upsampled rate.
_RESAMPLE_HALF_TAPS = 10


class _StreamingResampler:
    """Block-wise polyphase resampling equal to `resample_poly` of the whole stream.

    Output sample ``m`` of the whole-stream resampling depends on input samples within
    ``half = 10 max(up, down) / up`` of ``m * down / up``; it is given out once those have arrived.
    Each block recomputes `resample_poly` over a window that starts on a multiple of `down` input
    samples (so its outputs fall on the global grid) and covers every needed input.
    """

    def __init__(self, orig_sr: int, target_sr: int) -> None:
        ratio = Fraction(int(target_sr), int(orig_sr))
        self.up, self.down = ratio.numerator, ratio.denominator
        # Input samples an output waits for beyond its own position.
        self.half = math.ceil(_RESAMPLE_HALF_TAPS * max(self.up, self.down) / self.up) + 1
        self.history = np.zeros(0)
        self.history_start = 0  # global input index of history[0], a multiple of `down`
        self.n_in = 0
        self.n_out = 0  # output samples given out so far

    def __call__(self, block: np.ndarray) -> np.ndarray:
        self.history = np.concatenate([self.history, block.astype(np.float64)])
        self.n_in += block.size
        # Outputs m whose support lies inside what has arrived: m * down / up + half < n_in.
        ready = max(0, math.floor((self.n_in - self.half) * self.up / self.down))
        if ready <= self.n_out:
            return np.zeros(0)
        y = resample_poly(self.history, self.up, self.down)
        first = self.history_start * self.up // self.down
        out = y[self.n_out - first : ready - first]
        self.n_out = ready
        # Keep the input that later outputs still need (from the next output's support start).
        keep_from = max(0, math.floor(ready * self.down / self.up) - self.half - self.down)
        keep_from -= keep_from % self.down
        if keep_from > self.history_start:
            self.history = self.history[keep_from - self.history_start :]
            self.history_start = keep_from
        return out


class _FrameWindows:
    """Windows of a padded stream: frame ``i`` reads ``padded[start(i) : start(i) + size]``, where
    ``padded`` is the stream after `left` zeros; samples not yet arrived make a window not ready."""

    def __init__(self, size: int, left: int) -> None:
        self.size, self.left = size, left
        self.buffer = np.zeros(left)
        self.buffer_start = 0  # padded index of buffer[0]

    def push(self, x: np.ndarray) -> None:
        self.buffer = np.concatenate([self.buffer, x])

    def windows(self, starts: list[int]) -> np.ndarray:
        idx = np.asarray(starts)[:, None] - self.buffer_start + np.arange(self.size)
        return self.buffer[idx]

    def drop_before(self, start: int) -> None:
        if start > self.buffer_start:
            self.buffer = self.buffer[start - self.buffer_start :]
            self.buffer_start = start


class StreamingFeatures:
    """f0, confidence and loudness of a live stream on a model's frame grid (module docstring).

    Args:
        sample_rate: Hz of the stream (the model's rate).
        hop: the model's hop in samples.
        alignment: the model's (`ddsp_repro.rates`): ``"paper"`` or ``"centered"``.
        crepe_model: ``"tiny"`` (live) or ``"full"``.
        f0_every: CREPE on every this many frames, interpolated between (1: every frame, exact).
    """

    def __init__(
        self,
        sample_rate: int,
        hop: int,
        alignment: str = "paper",
        crepe_model: str = "tiny",
        f0_every: int = 1,
    ) -> None:
        if f0_every < 1:
            raise ValueError(f"f0_every must be >= 1, got {f0_every}")
        self.sample_rate, self.hop, self.crepe_model = int(sample_rate), int(hop), crepe_model
        self.f0_every = int(f0_every)
        self._grid: dict[int, tuple[float, float]] = {}  # CREPE frame -> (f0 Hz, confidence)
        f0_padding, loudness_padding = paddings(alignment)
        self.f0_centered = f0_padding == "centered"
        self.n_fft = scaled_size(2048, sample_rate)
        ld_left = (self.n_fft - hop) // 2 if loudness_padding == "centered" else 0
        self.loudness = _FrameWindows(self.n_fft, ld_left)
        self.step = CREPE_SAMPLE_RATE / frame_rate_of(sample_rate, hop)  # 16 kHz samples per frame
        self.crepe = _FrameWindows(FRAME_SIZE, FRAME_SIZE // 2 if self.f0_centered else 0)
        self.resampler = (
            _StreamingResampler(sample_rate, CREPE_SAMPLE_RATE) if sample_rate != CREPE_SAMPLE_RATE else None
        )
        # Frames a block waits for: the later of the loudness window's and CREPE's last sample.
        ld_wait = self.n_fft - ld_left  # stream samples after frame i's start (i * hop)
        resampler_wait = self.resampler.half if self.resampler is not None else 0
        crepe_wait = (self._crepe_start(0) + FRAME_SIZE - self.crepe.left) * sample_rate / CREPE_SAMPLE_RATE
        crepe_wait += (self.f0_every - 1) * hop  # the next CREPE frame of an interpolated one
        wait = max(ld_wait, math.ceil(crepe_wait) + resampler_wait + 1)
        self.latency_frames = max(0, math.ceil(wait / hop) - 1)
        self.frames_in = 0

    @property
    def latency(self) -> int:
        """Samples between a frame's start in the input and its features leaving this stage."""
        return self.latency_frames * self.hop

    def _crepe_start(self, i: int) -> int:
        """Padded 16 kHz start of CREPE frame `i` (`crepe.inference.frame_starts`)."""
        return math.floor((i + (0.5 if self.f0_centered else 0.0)) * self.step + 0.5)

    def _f0(self, frames: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """f0 and confidence of `frames` from CREPE on every `f0_every`-th frame."""
        e = self.f0_every
        needed = sorted({i - i % e for i in frames} | {i - i % e + e for i in frames if i % e})
        missing = [g for g in needed if g not in self._grid]
        if missing:
            windows = torch.from_numpy(self.crepe.windows([self._crepe_start(g) for g in missing])).float()
            act = activations(normalize_frames(windows), crepe_model=self.crepe_model)
            hz, conf = decode(act[None], viterbi=False)
            self._grid.update(zip(missing, zip(hz[0].tolist(), conf[0].tolist(), strict=True), strict=True))
            self.crepe.drop_before(self._crepe_start(missing[-1] + 1))
        for g in [g for g in self._grid if g < needed[0]]:
            del self._grid[g]
        f0, confidence = np.zeros(len(frames)), np.zeros(len(frames))
        for n, i in enumerate(frames):
            g0, frac = i - i % e, (i % e) / e
            (h0, c0), (h1, c1) = self._grid[g0], self._grid.get(g0 + e, self._grid[g0])
            f0[n] = h0 * (h1 / h0) ** frac if h0 > 0 and h1 > 0 else (h0 if frac < 0.5 else h1)
            confidence[n] = c0 + (c1 - c0) * frac
        return f0, confidence

    def __call__(self, block: Tensor | np.ndarray) -> dict[str, Tensor]:
        """Audio ``[n]`` or ``[1, n]`` with ``n`` a multiple of the hop -> ``f0_hz``, ``f0_confidence``,
        ``loudness_db``, each ``[1, n / hop]``: frames ``frames_in - latency_frames ...``."""
        x = np.asarray(block.detach().cpu() if isinstance(block, Tensor) else block, dtype=np.float64)
        x = x.reshape(-1)
        if x.size == 0 or x.size % self.hop:
            raise ValueError(
                f"a block must be a positive multiple of the hop ({self.hop} samples), got {x.size}"
            )
        if not np.isfinite(x).all():
            raise ValueError(f"the input block holds {int((~np.isfinite(x)).sum())} NaN or infinite samples")
        n_frames = x.size // self.hop
        self.loudness.push(x)
        self.crepe.push(self.resampler(x) if self.resampler is not None else x)
        first = self.frames_in - self.latency_frames
        self.frames_in += n_frames
        frames = list(range(first, first + n_frames))
        ready = [i for i in frames if i >= 0]
        f0 = np.zeros(n_frames, dtype=np.float32)
        confidence = np.zeros(n_frames, dtype=np.float32)
        loudness = np.full(n_frames, -LD_RANGE, dtype=np.float32)
        if ready:
            k = n_frames - len(ready)
            ld_windows = self.loudness.windows([i * self.hop for i in ready])
            loudness[k:] = compute_loudness(
                torch.from_numpy(ld_windows).float(), self.sample_rate, padding="valid"
            )[:, 0].numpy()
            f0[k:], confidence[k:] = self._f0(ready)
            self.loudness.drop_before((ready[-1] + 1) * self.hop)
        return {
            "f0_hz": torch.from_numpy(f0)[None],
            "f0_confidence": torch.from_numpy(confidence)[None],
            "loudness_db": torch.from_numpy(loudness)[None],
        }

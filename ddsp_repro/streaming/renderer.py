"""A trained autoencoder rendered block by block, with its state carried between blocks.

`StreamingRenderer` takes frame-rate controls (f0 in Hz, loudness in dB, and z for models that
have one) for one block of ``n * hop`` samples and returns that many samples of audio. Its output
is the offline render (`Autoencoder.synthesize` with the same controls and noise) delayed by
exactly ``latency = hop`` samples:

- **Amplitude upsampling** overlap-adds Hann windows between frame ``j`` and ``j + 1``, so sample
  ``j * hop + r`` needs the next frame: one frame is held back (the latency).
- **Filtered noise**: the 128-tap frame FIRs are centred (the offline render drops their group
  delay of 62 samples), which needs 62 samples of the next frame, inside the same held frame.
  The FIR tails are overlap-added into the next block.
- **Oscillator phase** is carried in float64, wrapped to one cycle, as the offline closed form.
- **The GRU's state** is carried; the decoder's other layers work frame by frame.
- **Reverb**: `PartitionedConvolution`, uniformly partitioned FFT convolution in blocks of the
  stream's block size (one FFT and one inverse FFT per block, never one over the whole IR), zero
  latency of its own. `flush` renders the held frame and the room's tail after the input stops.
- **Noise** is `dsp.hashed_uniform_noise`: sample ``t`` depends on ``t`` alone, so any block size
  draws the same noise as the offline render given ``noise=hashed_uniform_noise(0, n)``.

Everything here is TorchScript-compatible (`torch.jit.script(renderer)`), so the exported
artefacts run this very code. Eager on a CPU with a C compiler, a block is by default one call of
the native stream kernel (`streaming.fused`), the same maths with the stream's state held there;
``fused=False`` keeps the PyTorch path (the reference the parity tests hold the kernel to).
Frame-rate inputs are checked (shape, finite values) before anything is rendered.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ddsp_repro.dsp.core import (
    F0_RANGE,
    LD_RANGE,
    exp_sigmoid,
    hashed_uniform_noise,
    hz_to_midi_tensor,
    next_frame_weights,
)
from ddsp_repro.dsp.filtering import frequency_impulse_response, get_fft_size, overlap_add
from ddsp_repro.dsp.oscillators import fundamental_phase, harmonic_sum, normalize_harmonics
from ddsp_repro.effects import Reverb
from ddsp_repro.models.autoencoder import Autoencoder
from ddsp_repro.models.gru import GRU, keras_v1_gru_reference
from ddsp_repro.streaming.fused import FusedStream

__all__ = ["PartitionedConvolution", "StreamingDecoder", "StreamingRenderer"]


class PartitionedConvolution(nn.Module):
    """Convolution with one fixed IR in blocks of `partition` samples, zero latency.

    Uniformly partitioned overlap-add: the IR is cut into ``N = ceil(len / partition)`` pieces,
    each held as the spectrum of an FFT of twice the partition; every block's spectrum enters a
    ring of the last ``N`` input spectra, the output spectrum is the sum of ring times pieces, and
    the second half of its inverse FFT is added to the next block. The pieces are stored reversed
    and twice, so the ring is read as one contiguous product wherever its newest entry is.
    """

    def __init__(self, impulse_response: Tensor, partition: int) -> None:
        super().__init__()
        ir = impulse_response.detach().to(torch.float32).flatten()
        self.partition = int(partition)
        self.n_parts = max(1, math.ceil(ir.numel() / self.partition))
        pieces = torch.nn.functional.pad(ir, (0, self.n_parts * self.partition - ir.numel()))
        spectra = torch.fft.rfft(pieces.reshape(self.n_parts, self.partition), n=2 * self.partition)
        self.register_buffer("pieces", torch.cat([spectra, spectra]).flip(0), persistent=False)
        self.register_buffer("ring", torch.zeros(1, self.n_parts, self.partition + 1, dtype=torch.complex64))
        self.register_buffer("overlap", torch.zeros(1, self.partition))
        self.position = 0

    @torch.jit.export
    def reset(self, batch: int) -> None:
        self.ring = torch.zeros(batch, self.n_parts, self.partition + 1, dtype=torch.complex64)
        self.overlap = torch.zeros(batch, self.partition)
        self.position = 0

    def forward(self, block: Tensor) -> Tensor:
        """``[batch, partition]`` in -> the convolution's next ``[batch, partition]`` samples."""
        n, p = self.n_parts, self.partition
        self.position = (self.position + 1) % n
        self.ring[:, self.position] = torch.fft.rfft(block, n=2 * p)
        start = n - 1 - self.position
        spectrum = (self.ring * self.pieces[start : start + n]).sum(dim=1)
        full = torch.fft.irfft(spectrum, n=2 * p)
        out = full[:, :p] + self.overlap
        self.overlap = full[:, p:]
        return out


class _KerasV1Step(nn.Module):
    """The v1 GRU cell (`models.gru`) from a given state; shares the trained layer's parameters."""

    def __init__(self, rnn: GRU) -> None:
        super().__init__()
        self.kernel, self.recurrent_kernel, self.bias = rnn.kernel, rnn.recurrent_kernel, rnn.bias

    def forward(self, x: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
        out = keras_v1_gru_reference(x, self.kernel, self.recurrent_kernel, self.bias, h)
        return out, out[:, -1]


class _TorchGruStep(nn.Module):
    """The v2 cell: `torch.nn.GRU` itself, from a given state."""

    def __init__(self, rnn: GRU) -> None:
        super().__init__()
        self.rnn = rnn.rnn

    def forward(self, x: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
        out, h_n = self.rnn(x, h[None])
        return out, h_n[0]


class StreamingDecoder(nn.Module):
    """The autoencoder's decoder and control scaling for a block of frames, the GRU state in and out.

    ``f0_hz``, ``loudness_db`` ``[b, f]`` (and ``z [b, f, z_dims]``), ``h [b, hidden]`` ->
    ``(harmonic amplitudes [b, f, K], noise magnitudes [b, f, bands], h)``: the overall amplitude
    times the Nyquist-masked, normalised distribution, and the noise filters' linear gains. The
    wiring of `RnnFcDecoder.forward` and the synths' `get_controls` (the parity tests pin it);
    the part exported to ONNX.
    """

    def __init__(self, model: Autoencoder) -> None:
        super().__init__()
        c = model.config
        decoder = model.decoder
        self.sample_rate = int(c.sample_rate)
        self.n_harmonics = int(c.n_harmonics)
        self.noise_bias = float(c.noise_initial_bias)
        self.f0_range, self.ld_range = F0_RANGE, LD_RANGE  # the network's input scaling
        self.z_dims = int(c.z_dims) if c.z_dims else 0
        self.f_stack, self.l_stack = decoder.f_stack, decoder.l_stack
        self.z_stack = decoder.z_stack if decoder.z_stack is not None else nn.Identity()
        self.rnn = _KerasV1Step(decoder.rnn) if decoder.rnn.cell == "v1" else _TorchGruStep(decoder.rnn)
        self.out_stack, self.dense_out = decoder.out_stack, decoder.dense_out
        self.hidden = int(decoder.rnn.hidden)

    def forward(
        self, f0_hz: Tensor, loudness_db: Tensor, h: Tensor, z: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        f0 = f0_hz[..., None]
        f = self.f_stack(hz_to_midi_tensor(f0) / self.f0_range)
        ld = self.l_stack(loudness_db[..., None] / self.ld_range + 1.0)
        if self.z_dims > 0 and z is not None:
            x = torch.cat([f, ld, self.z_stack(z)], dim=-1)
        else:
            x = torch.cat([f, ld], dim=-1)
        x, h = self.rnn(x, h)
        raw = self.dense_out(self.out_stack(torch.cat([f, ld, x], dim=-1)))
        k = self.n_harmonics
        amplitudes = exp_sigmoid(raw[..., :1])
        distribution = normalize_harmonics(exp_sigmoid(raw[..., 1 : 1 + k]), f0, self.sample_rate)
        magnitudes = exp_sigmoid(raw[..., 1 + k :] + self.noise_bias)
        return amplitudes * distribution, magnitudes, h


class StreamingRenderer(nn.Module):
    """Block-by-block rendering of one trained `Autoencoder` (see the module docstring).

    Args:
        model: the trained autoencoder (its weights are shared, not copied).
        block_size: samples per block, a multiple of the model's hop; the reverb's partition.
            `forward` takes any multiple of it.
        seed: the noise sequence (`dsp.hashed_uniform_noise`).
        fused: eager blocks in the native stream kernel (`streaming.fused`; weights copied when
            the renderer is built): None where it can be built, True to insist, False never.
            TorchScript always runs the PyTorch path.
    """

    __jit_ignored_attributes__ = ["fused"]

    def __init__(self, model: Autoencoder, block_size: int, seed: int = 0, fused: bool | None = None) -> None:
        super().__init__()
        c = model.config
        hop = c.hop
        if block_size <= 0 or block_size % hop:
            raise ValueError(
                f"block_size must be a positive multiple of the model's hop ({hop} samples at "
                f"{c.sample_rate} Hz), got {block_size}"
            )
        if model.f0_encoder is not None:
            raise ValueError(
                "models that learn f0 from audio (f0_encoder) cannot be streamed from f0 controls"
            )
        self.sample_rate = int(c.sample_rate)
        self.hop = int(hop)
        self.block_size = int(block_size)
        self.latency = int(hop)  # samples: the held frame
        self.seed = int(seed)
        self.n_harmonics = int(c.n_harmonics)
        self.n_bands = int(c.n_noise_bands)
        self.noise_window = int(model.noise.window_size)
        self.z_dims = int(c.z_dims) if c.z_dims else 0
        self.decoder = StreamingDecoder(model)
        self.hidden = self.decoder.hidden
        ir_taps = frequency_impulse_response(torch.ones(1, self.n_bands), self.noise_window).shape[-1]
        self.noise_delay = (ir_taps - 1) // 2 - 1  # dropped by the offline render ("same", centred)
        if self.noise_delay >= hop:
            raise ValueError(f"noise filters of {ir_taps} taps need more look-ahead than one hop ({hop})")
        self.noise_fft = get_fft_size(hop, ir_taps)
        rise = next_frame_weights(hop, "window").to(torch.float32)
        self.register_buffer("rise", rise, persistent=False)
        self.register_buffer("r", torch.arange(hop, dtype=torch.float64), persistent=False)
        k = torch.arange(1, self.n_harmonics + 1, dtype=torch.float64)
        self.register_buffer("k64", k, persistent=False)
        self.has_reverb = model.reverb is not None
        if model.reverb is not None:
            ir = Reverb.mask_dry(model.reverb.impulse_response().detach()[None])[0]  # dry added apart
        else:
            ir = torch.zeros(1)
        self.reverb_length = int(ir.numel()) if self.has_reverb else 0
        self.reverb = PartitionedConvolution(ir, block_size)
        self.register_buffer("wet_ir", ir.to(torch.float32), persistent=False)
        # State (batch 1 until `reset`).
        self.register_buffer("h", torch.zeros(1, self.hidden))
        self.register_buffer("phase", torch.zeros(1, dtype=torch.float64))
        self.register_buffer("held_f0", torch.zeros(1, 1))
        self.register_buffer("held_amps", torch.zeros(1, self.n_harmonics))
        self.register_buffer("noise_acc", torch.zeros(1, 0))
        self.frames_done = 0
        self.fused = FusedStream.build(self) if fused is not False else None
        if fused and self.fused is None:
            raise RuntimeError(
                "the native stream kernel cannot be built here (no C compiler, DDSP_REPRO_NATIVE=0, or "
                "a decoder it does not know); use fused=None or False"
            )

    @torch.jit.export
    def reset(self, batch: int = 1) -> None:
        """Start a new stream (silence, zero phase, the GRU's zero state) for `batch` voices."""
        self.h = torch.zeros(batch, self.hidden)
        self.phase = torch.zeros(batch, dtype=torch.float64)
        self.held_f0 = torch.zeros(batch, 1)
        self.held_amps = torch.zeros(batch, self.n_harmonics)
        self.noise_acc = torch.zeros(batch, 0)
        self.frames_done = 0
        self.reverb.reset(batch)
        if not torch.jit.is_scripting():
            self._fused_reset(batch)

    @torch.jit.unused
    def _fused_reset(self, batch: int) -> None:
        if self.fused is not None:
            self.fused.reset(batch)

    def _check(self, f0_hz: Tensor, loudness_db: Tensor, z: Tensor | None) -> None:
        self._check_shapes(f0_hz, loudness_db, z, self.h.shape[0])
        self._check_values(f0_hz, loudness_db, z)

    def _check_shapes(self, f0_hz: Tensor, loudness_db: Tensor, z: Tensor | None, batch: int) -> None:
        if f0_hz.dim() != 2 or loudness_db.shape != f0_hz.shape:
            raise ValueError(
                f"f0_hz and loudness_db must both be [batch, frames], got {list(f0_hz.shape)} and "
                f"{list(loudness_db.shape)}"
            )
        if f0_hz.shape[0] != batch:
            raise ValueError(f"the stream was reset for batch {batch}, got {f0_hz.shape[0]}")
        if (f0_hz.shape[1] * self.hop) % self.block_size:
            raise ValueError(
                f"a block is a multiple of {self.block_size} samples ({self.block_size // self.hop} frames "
                f"of {self.hop}); got {f0_hz.shape[1]} frames"
            )
        if self.z_dims > 0:
            if z is None:
                raise ValueError("this model is conditioned on z; pass z [batch, frames, z_dims]")
            if z.shape[0] != f0_hz.shape[0] or z.shape[1] != f0_hz.shape[1] or z.shape[2] != self.z_dims:
                raise ValueError(f"z must be [batch, frames, {self.z_dims}], got {list(z.shape)}")

    def _check_values(self, f0_hz: Tensor, loudness_db: Tensor, z: Tensor | None) -> None:
        if not bool(torch.isfinite(f0_hz).all()) or not bool(torch.isfinite(loudness_db).all()):
            raise ValueError(
                "f0_hz and loudness_db must be finite (NaN or infinite controls reached the stream)"
            )
        if bool((f0_hz < 0).any()):
            raise ValueError("f0_hz must be >= 0 Hz")
        if z is not None and self.z_dims > 0 and not bool(torch.isfinite(z).all()):
            raise ValueError("z must be finite")

    def _harmonic(self, f0: Tensor, amps: Tensor, n_out: int) -> Tensor:
        """The first `n_out` frames of ``f0 [b, m, 1]`` and ``amps [b, m, K]``, each frame's next being
        the following one (the last held) -> ``[b, n_out * hop]``; the phase moves to frame `n_out`.

        Eager on the CPU this is the offline kernel itself (`oscillators.harmonic_sum`, fused C);
        scripted, the same sums in PyTorch (the chunked implementation's arithmetic).
        """
        hop = self.hop
        f0 = f0[..., 0]
        phase = fundamental_phase(f0, hop, self.sample_rate, self.phase)
        self.phase = torch.remainder(phase[:, n_out * hop - 1], 2.0 * math.pi)
        if not torch.jit.is_scripting():
            return self._harmonic_eager(phase, f0, amps)[:, : n_out * hop]
        batch = f0.shape[0]
        f = f0[:, :n_out].to(torch.float64)
        slope = torch.cat([f0[:, 1:], f0[:, -1:]], dim=1)[:, :n_out].to(torch.float64) - f
        phase = phase[:, : n_out * hop].reshape(batch, n_out, hop)
        a_cur = amps[:, :n_out]
        a_next = torch.cat([amps[:, 1:], amps[:, -1:]], dim=1)[:, :n_out]
        # Harmonic k's phase and whether k f0 (linear within the frame, as offline) is below Nyquist.
        sines = torch.sin(phase[..., None] * self.k64).to(torch.float32)
        f_env = (f[:, :, None] + slope[:, :, None] * (self.r / hop)).to(torch.float32)
        active = (f_env[..., None] * self.k64.to(torch.float32)) < self.sample_rate / 2.0
        sines = torch.where(active, sines, torch.zeros_like(sines))
        s_cur = torch.matmul(sines, a_cur[:, :, :, None])[..., 0]
        s_next = torch.matmul(sines, a_next[:, :, :, None])[..., 0]
        out = s_cur * (1.0 - self.rise) + s_next * self.rise
        return out.reshape(batch, n_out * hop)

    @torch.jit.unused
    def _harmonic_eager(self, phase: Tensor, f0: Tensor, amps: Tensor) -> Tensor:
        return harmonic_sum(phase, f0, amps, self.hop, self.sample_rate)

    def _noise(self, firs: Tensor) -> Tensor:
        """Filter the new frames' noise; returns the next ``frames * hop`` samples of the centred
        (delay-compensated) output, starting one frame before the new frames."""
        batch, n_frames = firs.shape[0], firs.shape[1]
        hop = self.hop
        start = self.frames_done * hop
        noise = hashed_uniform_noise(start, n_frames * hop, batch, self.seed).reshape(batch, n_frames, hop)
        n = self.noise_fft
        blocks = torch.fft.irfft(torch.fft.rfft(noise, n=n) * torch.fft.rfft(firs, n=n), n=n)
        # The accumulator begins at full-convolution index (first new frame - 1) * hop + delay.
        offset = hop - self.noise_delay
        length = offset + (n_frames - 1) * hop + n
        acc = torch.zeros(batch, length)
        acc[:, : self.noise_acc.shape[1]] += self.noise_acc
        acc[:, offset:] += overlap_add(blocks, hop)
        self.noise_acc = acc[:, n_frames * hop :]
        return acc[:, : n_frames * hop]

    def _render(self, f0: Tensor, amps: Tensor, firs: Tensor) -> Tensor:
        """Dry audio of the held frame and of the new frames but the last, which is held next."""
        first = self.frames_done == 0
        if first:
            # A held frame -1 equal to frame 0, its phase set so that frame 0 starts at zero; its
            # hop of output is the stream's latency and is silenced below.
            self.held_f0 = f0[:, 0]
            self.held_amps = amps[:, 0]
            self.phase = -((2.0 * math.pi) / self.sample_rate) * self.hop * f0[:, 0, 0].to(torch.float64)
        frames = f0.shape[1]
        f0_all = torch.cat([self.held_f0[:, None], f0], dim=1)
        a_all = torch.cat([self.held_amps[:, None], amps], dim=1)
        dry = self._harmonic(f0_all, a_all, frames) + self._noise(firs)
        if first:
            dry[:, : self.hop] = 0.0
        self.held_f0 = f0[:, -1]
        self.held_amps = amps[:, -1]
        self.frames_done += f0.shape[1]
        return dry

    def _room(self, dry: Tensor) -> Tensor:
        if not self.has_reverb:
            return dry
        p = self.block_size
        pieces = [self.reverb(dry[:, i : i + p]) for i in range(0, dry.shape[1], p)]
        return dry + torch.cat(pieces, dim=1)

    def forward(self, f0_hz: Tensor, loudness_db: Tensor, z: Tensor | None = None) -> Tensor:
        """One block: ``f0_hz``, ``loudness_db`` ``[batch, frames]`` (and ``z [batch, frames, z_dims]``)
        with ``frames * hop`` a multiple of `block_size` -> audio ``[batch, frames * hop]``, the
        offline render of the whole stream so far delayed by `latency` samples."""
        if not torch.jit.is_scripting():
            if self.fused is not None:
                return self._fused_forward(f0_hz, loudness_db, z)
        self._check(f0_hz, loudness_db, z)
        amps, magnitudes, self.h = self.decoder(f0_hz, loudness_db, self.h, z)
        firs = frequency_impulse_response(magnitudes, self.noise_window)
        return self._room(self._render(f0_hz[..., None], amps, firs))

    @torch.jit.unused
    def _fused_forward(self, f0_hz: Tensor, loudness_db: Tensor, z: Tensor | None) -> Tensor:
        self._check_shapes(f0_hz, loudness_db, z, self.fused.batch)
        out, complaint = self.fused.block(f0_hz, loudness_db, z)
        if complaint:  # the kernel found bad values and rendered nothing: the PyTorch check says what
            self._check_values(f0_hz, loudness_db, z)
            raise ValueError(f"the stream kernel refused the controls (code {complaint})")
        self.frames_done += f0_hz.shape[1]
        return out

    @torch.jit.export
    def flush(self) -> Tensor:
        """After the last block: the held frame and the room's tail, ``[batch, n]`` with ``n`` the
        smallest multiple of `block_size` holding ``hop + reverb_length - 1`` samples; the stream is
        then over (call `reset` to start another)."""
        if self.frames_done == 0:
            raise ValueError("nothing was streamed yet")
        p = self.block_size
        hop = self.hop
        total = hop + max(0, self.reverb_length - 1)
        n = ((total + p - 1) // p) * p
        if not torch.jit.is_scripting():
            if self.fused is not None:
                return self.fused.flush(n)
        batch = self.h.shape[0]
        # The held frame, rendered with itself as its next frame (the offline last frame).
        harmonic = self._harmonic(self.held_f0[:, None], self.held_amps[:, None], 1)
        dry = harmonic + self.noise_acc[:, :hop]
        return self._room(torch.cat([dry, torch.zeros(batch, n - hop)], dim=1))

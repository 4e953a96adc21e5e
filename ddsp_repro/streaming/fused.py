"""The streaming renderer's block as one native call (`ddsp_repro/native/stream_kernel.c`).

`FusedStream.build(renderer)` packs a `StreamingRenderer`'s decoder weights, noise-filter design
and reverb IR into the kernel's own memory; its `block`, `flush` and `reset` then do what the
renderer's `forward`, `flush` and `reset` do in PyTorch, with the stream's state (GRU state,
phase, held frame, noise tail, reverb ring) held in the kernel. On a CPU a small model's block is
a hundred small tensor operations, each a few microseconds of dispatch; here it is one call.

The weights are copied when the stream is built: a renderer made from a model that is trained
further afterwards keeps the weights it was built with (build a new renderer).
"""

from __future__ import annotations

import ctypes
import weakref

import torch
from torch import Tensor, nn

from ddsp_repro import native
from ddsp_repro.dsp.filtering import frequency_impulse_response

__all__ = ["FusedStream"]


def _stack_layers(stack: nn.Module) -> list[Tensor] | None:
    """``[W^T, b, gamma, beta]`` per layer of an `FcStack` (Linear -> LayerNorm(1e-3) -> leaky ReLU
    0.2), or None if the stack is made otherwise."""
    if isinstance(stack, nn.Identity):
        return []
    mods = list(stack)
    if len(mods) % 3:
        return None
    out: list[Tensor] = []
    for dense, norm, act in zip(mods[0::3], mods[1::3], mods[2::3], strict=True):
        if not (
            isinstance(dense, nn.Linear)
            and isinstance(norm, nn.LayerNorm)
            and isinstance(act, nn.LeakyReLU)
            and norm.eps == 1e-3
            and act.negative_slope == 0.2
            and dense.bias is not None
            and norm.elementwise_affine
        ):
            return None
        out += [dense.weight.t(), dense.bias, norm.weight, norm.bias]
    return out


def _float32(x: Tensor) -> Tensor:
    """`x` as contiguous float32 memory for the kernel (itself when it already is: a block's
    microseconds count)."""
    return x if x.dtype == torch.float32 and x.is_contiguous() else x.detach().to(torch.float32).contiguous()


class FusedStream:
    """A `StreamingRenderer`'s block in the native stream kernel (see the module docstring)."""

    def __init__(self, lib: ctypes.CDLL, handle: int, hop: int, z_dims: int) -> None:
        self._lib, self._handle = lib, handle
        self.hop, self.z_dims = hop, z_dims
        self.batch = 1
        weakref.finalize(self, lib.stream_free, handle)

    def __reduce__(self):
        raise TypeError(
            "a fused stream holds native memory and cannot be copied or pickled; build another "
            "StreamingRenderer from the model"
        )

    @classmethod
    def build(cls, renderer: nn.Module) -> FusedStream | None:
        """The renderer's fused stream, or None where the kernel cannot be built or the decoder is
        not one it knows (then the renderer runs in PyTorch)."""
        lib = native.kernel("stream")
        if lib is None:
            return None
        decoder = renderer.decoder
        stacks = [
            _stack_layers(s) for s in (decoder.f_stack, decoder.l_stack, decoder.z_stack, decoder.out_stack)
        ]
        if any(s is None for s in stacks):
            return None
        f_layers, l_layers, z_layers, o_layers = stacks
        widths = {t.shape[-1] for s in stacks for t in s[0::4]}
        if len(widths) > 1:  # one width of every stack, as RnnFcDecoder builds them
            return None
        ch = widths.pop() if widths else 0
        rnn = decoder.rnn
        if hasattr(rnn, "recurrent_kernel"):  # the v1 Keras cell
            cell, gru = 1, [rnn.kernel, rnn.recurrent_kernel, rnn.bias]
        else:
            g = rnn.rnn
            cell, gru = 2, [g.weight_ih_l0.t(), g.bias_ih_l0, g.weight_hh_l0.t(), g.bias_hh_l0]
        dense_out = [decoder.dense_out.weight.t(), decoder.dense_out.bias]
        ordered = [*f_layers, *l_layers, *z_layers, *gru, *o_layers, *dense_out]  # stream_create's order
        weights = [t.detach().to(torch.float32).contiguous() for t in ordered]
        design = frequency_impulse_response(torch.eye(renderer.n_bands)[None], renderer.noise_window)[0]
        design = design.to(torch.float32).contiguous()
        ir = renderer.wet_ir.to(torch.float32).contiguous()
        taps = design.shape[-1]
        cfg = [
            renderer.sample_rate,
            renderer.hop,
            renderer.n_harmonics,
            renderer.n_bands,
            taps,
            renderer.noise_delay,
            renderer.hidden,
            cell,
            renderer.z_dims,
            ch,
            renderer.seed,
            len(f_layers) // 4,
            len(l_layers) // 4,
            len(z_layers) // 4,
            len(o_layers) // 4,
            renderer.block_size,
            renderer.reverb_length if renderer.has_reverb else 0,
        ]
        cfg_array = (ctypes.c_int * len(cfg))(*cfg)
        pointers = (ctypes.c_void_p * len(weights))(*[t.data_ptr() for t in weights])
        handle = lib.stream_create(
            cfg_array, pointers, design.data_ptr(), ir.data_ptr(), float(decoder.noise_bias)
        )
        stream = cls(lib, handle, renderer.hop, renderer.z_dims)
        stream.reset(1)
        return stream

    def reset(self, batch: int) -> None:
        self._lib.stream_reset(self._handle, batch)
        self.batch = batch

    def block(self, f0_hz: Tensor, loudness_db: Tensor, z: Tensor | None) -> tuple[Tensor, int]:
        """``(audio [batch, frames * hop], 0)``, or an empty tensor and the kernel's complaint about the
        controls (1: f0 or loudness not finite, 2: negative f0, 3: z not finite), nothing rendered.
        Shapes are the caller's to check."""
        f0, ld = _float32(f0_hz), _float32(loudness_db)
        zc = _float32(z) if (z is not None and self.z_dims) else None  # held until the call returns
        frames = f0.shape[1]
        out = torch.empty(self.batch, frames * self.hop)
        z_ptr = None if zc is None else zc.data_ptr()
        code = self._lib.stream_block(
            self._handle, f0.data_ptr(), ld.data_ptr(), z_ptr, frames, out.data_ptr()
        )
        return out, code

    def flush(self, n_samples: int) -> Tensor:
        out = torch.empty(self.batch, n_samples)
        self._lib.stream_flush(self._handle, n_samples, out.data_ptr())
        return out

"""`Processor`: the contract every synthesiser and effect keeps (magenta/ddsp's `Processor`).

A processor turns raw inputs (network outputs, or audio for an effect) into audio in two steps:

- ``get_controls(*inputs) -> dict[str, Tensor]``: the synthesiser's controls, in the units it
  renders with (linear amplitudes, Hz, normalised distributions, an impulse response). Each
  subclass documents the shapes and units of its inputs and of every control it returns. Controls
  can be inspected or edited (pitch shift, loudness change) before rendering.
- ``get_signal(**controls, **options) -> Tensor``: audio ``[batch, n_samples]`` from controls;
  `options` are rendering choices that are not controls (a noise source, a generator).

Calling a processor runs both: ``processor(*inputs, **options)``; inputs may be given by name.
"""

from __future__ import annotations

import functools
import inspect

from torch import Tensor, nn

__all__ = ["Processor"]


class Processor(nn.Module):
    """Raw inputs -> controls (`get_controls`) -> audio ``[batch, n_samples]`` (`get_signal`)."""

    def get_controls(self, *inputs: Tensor) -> dict[str, Tensor]:
        raise NotImplementedError

    def get_signal(self, **controls) -> Tensor:
        raise NotImplementedError

    def forward(self, *inputs: Tensor, **kwargs) -> Tensor:
        names = _control_inputs(type(self))
        named = {k: v for k, v in kwargs.items() if k in names}
        options = {k: v for k, v in kwargs.items() if k not in names}
        return self.get_signal(**self.get_controls(*inputs, **named), **options)


@functools.cache
def _control_inputs(cls: type) -> frozenset[str]:
    """The parameter names of `cls.get_controls` (read once per class, not once per call)."""
    return frozenset(inspect.signature(cls.get_controls).parameters) - {"self"}

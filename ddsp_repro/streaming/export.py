"""Exported artefacts of a streaming instrument: TorchScript, nn~, ONNX (decoder); Neutone is refused.

Every format runs the `StreamingRenderer`'s own code (scripted), so parity with the offline render
is the renderer's, and the tests check it through each saved file.

- ``torchscript``: the scripted `StreamingRenderer`. Block interface: ``reset(batch)``;
  ``forward(f0_hz [b, f], loudness_db [b, f]) -> audio [b, f * hop]`` with ``f * hop`` a multiple of
  ``block_size`` (models with a z encoder take ``z [b, f, z_dims]`` as a third argument);
  ``flush()`` after the last block. Attributes ``sample_rate``, ``hop``, ``block_size``,
  ``latency`` (samples). The saved file carries ``meta.json`` (these numbers and the model's name).
- ``nn-tilde``: the layout the nn~ external for Max/MSP and Pure Data reads, written with plain
  TorchScript (the ``nn_tilde`` package pins torch 2.5): method ``forward`` with
  ``forward_params = [in_channels 2, in_ratio hop, out_channels 1, out_ratio 1]`` (inlets: f0 in Hz
  and loudness in dB at the frame rate), its inlet and outlet labels, ``get_methods``,
  ``get_attributes`` with ``pitch_shift`` (semitones) and ``loudness_shift`` (dB) and their
  ``get_``/``set_`` methods and ``_params`` type codes, the buffer-attribute methods (none here)
  and ``get_sample_rate``. nn~ calls ``forward`` with ``[batch, 2, buffer / hop]``.
- ``onnx``: the decoder (`StreamingDecoder`: controls and GRU state of one block in, synthesiser
  controls and the new state out); the synthesisers' FFTs and state stay in the host.
- ``neutone``: not written; `NEUTONE_REASON` says why.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import Tensor, nn

from ddsp_repro.audio import atomic_path
from ddsp_repro.models.autoencoder import Autoencoder
from ddsp_repro.streaming.renderer import StreamingDecoder, StreamingRenderer

__all__ = ["FORMATS", "NEUTONE_REASON", "NnTildeInstrument", "export", "load_torchscript"]

FORMATS = ("torchscript", "nn-tilde", "onnx", "neutone")
NEUTONE_REASON = (
    "neutone-sdk (1.5.2) imports torchaudio when the package is imported (neutone_sdk/audio.py, "
    "sandwich.py) and requires numpy<2.3; this environment keeps torchaudio out (as with torchcrepe) "
    "and has numpy 2.4, and the Neutone model wrapper and its saver cannot be imported without them. "
    "Use the nn-tilde or torchscript export instead."
)
_TYPE_FLOAT = 2  # nn~'s attribute type code for float


class NnTildeInstrument(nn.Module):
    """A `StreamingRenderer` in the method and attribute layout nn~ reads (module docstring)."""

    def __init__(self, renderer: StreamingRenderer) -> None:
        super().__init__()
        self.renderer = renderer
        self.hop = renderer.hop
        self.sample_rate = renderer.sample_rate
        self.block_size = renderer.block_size
        self.latency = renderer.latency
        self.batch = 1
        self.register_buffer("forward_params", torch.tensor([2, renderer.hop, 1, 1]))
        self.forward_input_labels = ["(signal) f0 in Hz", "(signal) loudness in dB"]
        self.forward_output_labels = ["(signal) audio"]
        self.pitch_shift = (0.0,)
        self.loudness_shift = (0.0,)
        self.register_buffer("pitch_shift_params", torch.tensor([_TYPE_FLOAT]))
        self.register_buffer("loudness_shift_params", torch.tensor([_TYPE_FLOAT]))

    def forward(self, x: Tensor) -> Tensor:
        """``[batch, 2, frames]`` (f0 Hz, loudness dB) -> ``[batch, 1, frames * hop]``."""
        if x.dim() != 3 or x.shape[1] != 2:
            raise ValueError(f"nn~ input must be [batch, 2, frames], got {list(x.shape)}")
        if x.shape[0] != self.batch or self.renderer.frames_done == 0:
            self.batch = x.shape[0]
            self.renderer.reset(self.batch)
        ratio = 2.0 ** (self.pitch_shift[0] / 12.0)
        audio = self.renderer(x[:, 0] * ratio, x[:, 1] + self.loudness_shift[0], None)
        return audio[:, None]

    @torch.jit.export
    def get_methods(self) -> list[str]:
        return ["forward"]

    @torch.jit.export
    def get_attributes(self) -> list[str]:
        return ["pitch_shift", "loudness_shift"]

    @torch.jit.export
    def get_pitch_shift(self) -> tuple[float]:
        return self.pitch_shift

    @torch.jit.export
    def set_pitch_shift(self, pitch_shift0: float) -> int:
        self.pitch_shift = (pitch_shift0,)
        return 0

    @torch.jit.export
    def get_loudness_shift(self) -> tuple[float]:
        return self.loudness_shift

    @torch.jit.export
    def set_loudness_shift(self, loudness_shift0: float) -> int:
        self.loudness_shift = (loudness_shift0,)
        return 0

    @torch.jit.export
    def get_buffer_attributes(self) -> list[str]:
        return []

    @torch.jit.export
    def is_buffer_empty(self, buffer_name: str) -> bool:
        return True

    @torch.jit.export
    def set_buffer_attribute(self, buffer_name: str, buffer: Tensor, sr: int) -> int:
        return -1

    @torch.jit.export
    def clear_buffer_attribute(self, buffer_name: str) -> None:
        return

    @torch.jit.export
    def get_sample_rate(self) -> int:
        return self.sample_rate

    @torch.jit.export
    def reset(self) -> None:
        self.renderer.reset(self.batch)


def _meta(model: Autoencoder, renderer: StreamingRenderer, name: str, fmt: str) -> dict:
    c = model.config
    return {
        "name": name,
        "format": fmt,
        "sample_rate": c.sample_rate,
        "hop": c.hop,
        "block_size": renderer.block_size,
        "latency_samples": renderer.latency,
        "latency_ms": 1e3 * renderer.latency / c.sample_rate,
        "reverb_length": renderer.reverb_length,
        "n_harmonics": c.n_harmonics,
        "z_dims": c.z_dims,
        "alignment": c.alignment,
    }


def load_torchscript(path: str | Path) -> tuple[torch.jit.ScriptModule, dict]:
    """A saved torchscript or nn-tilde export and its ``meta.json``."""
    files = {"meta.json": ""}
    module = torch.jit.load(str(path), map_location="cpu", _extra_files=files)
    return module, json.loads(files["meta.json"] or "{}")


def export(model: Autoencoder, fmt: str, out: str | Path, block_size: int, name: str = "instrument") -> dict:
    """Write `model` as `fmt` (one of `FORMATS`) to `out`; returns the metadata written beside it.

    Raises ValueError for a block size that is not a multiple of the hop, an unknown format, or
    ``neutone`` (`NEUTONE_REASON`); ImportError when ``onnx`` is asked for without onnx installed.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    if fmt == "neutone":
        raise ValueError(f"the neutone format is not available here: {NEUTONE_REASON}")
    model = model.eval()
    renderer = StreamingRenderer(model, block_size, fused=False).eval()  # scripted: PyTorch path
    meta = _meta(model, renderer, name, fmt)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "onnx":
        _export_onnx(model, renderer, out, meta)
    else:
        module = renderer if fmt == "torchscript" else NnTildeInstrument(renderer)
        scripted = torch.jit.script(module)
        with atomic_path(out) as tmp:
            scripted.save(str(tmp), _extra_files={"meta.json": json.dumps(meta)})
    with atomic_path(out.with_suffix(out.suffix + ".json")) as tmp:
        Path(tmp).write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def _export_onnx(model: Autoencoder, renderer: StreamingRenderer, out: Path, meta: dict) -> None:
    try:
        import onnx  # noqa: F401
    except ImportError as e:
        raise ImportError("the onnx export needs onnx and onnxscript: pip install -e '.[realtime]'") from e
    decoder = StreamingDecoder(model).eval()
    frames = renderer.block_size // renderer.hop
    f0 = torch.full((1, frames), 440.0)
    ld = torch.full((1, frames), -40.0)
    h = torch.zeros(1, decoder.hidden)
    args: tuple = (f0, ld, h) if decoder.z_dims == 0 else (f0, ld, h, torch.zeros(1, frames, decoder.z_dims))
    names = ["f0_hz", "loudness_db", "state"] + (["z"] if decoder.z_dims else [])
    meta["onnx"] = {
        "inputs": names,
        "outputs": ["harmonic_amplitudes", "noise_magnitudes", "next_state"],
        "frames_per_call": frames,
        "note": "decoder only: the harmonic and noise synthesisers and the reverb run in the host",
    }
    with atomic_path(out) as tmp:
        torch.onnx.export(
            decoder,
            args,
            str(tmp),
            input_names=names,
            output_names=meta["onnx"]["outputs"],
            dynamo=True,
            external_data=False,
        )

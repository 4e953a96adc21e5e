"""Every export format that installs streams the same audio as the offline render."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ddsp_repro.streaming.export import NEUTONE_REASON, export, load_torchscript
from ddsp_repro.streaming.renderer import StreamingDecoder
from ddsp_repro.streaming.session import offline_reference, stream_controls
from tests.streaming.conftest import controls

TOLERANCE = 1e-4


@pytest.mark.parametrize("block_size", [64, 256])
def test_torchscript_file_streams_the_offline_render(model, tmp_path, block_size):
    meta = export(model, "torchscript", tmp_path / "m.ts", block_size, name="toy")
    module, saved = load_torchscript(tmp_path / "m.ts")
    assert saved == meta == json.loads((tmp_path / "m.ts.json").read_text())
    assert (meta["latency_samples"], meta["block_size"], meta["hop"]) == (64, block_size, 64)
    f0, loudness = controls(model.config.n_frames)
    reference = offline_reference(model, f0, loudness)
    streamed, _ = stream_controls(module, f0, loudness)
    got = streamed[:, 64 : 64 + reference.shape[1]]
    assert float((got - reference).abs().max()) < TOLERANCE  # the tail after the input included


@pytest.mark.parametrize("block_size", [128, 640])
def test_nn_tilde_layout_and_parity(model, tmp_path, block_size):
    export(model, "nn-tilde", tmp_path / "m.ts", block_size)
    module, meta = load_torchscript(tmp_path / "m.ts")
    assert module.get_methods() == ["forward"]
    assert module.forward_params.tolist() == [2, 64, 1, 1]  # in channels, in ratio, out channels, out ratio
    assert len(module.forward_input_labels) == 2 and len(module.forward_output_labels) == 1
    assert module.get_attributes() == ["pitch_shift", "loudness_shift"]
    assert module.pitch_shift_params.tolist() == [2]  # nn~'s code for float
    assert module.get_sample_rate() == 16000 and module.get_buffer_attributes() == []
    f0, loudness = controls(model.config.n_frames)
    reference = offline_reference(model, f0, loudness)
    x = torch.stack([f0, loudness], dim=1)  # [batch, 2, frames], as nn~ calls it
    step = block_size // 64
    with torch.no_grad():
        out = torch.cat([module(x[:, :, i : i + step]) for i in range(0, x.shape[-1], step)], dim=-1)
    assert out.shape == (1, 1, model.config.n_samples)
    n = model.config.n_samples - 64
    assert float((out[0, :, 64:] - reference[:, :n]).abs().max()) < TOLERANCE
    # An attribute changes what is played: one octave up through set_pitch_shift.
    assert module.set_pitch_shift(12.0) == 0 and module.get_pitch_shift() == (12.0,)
    module.reset()
    with torch.no_grad():
        up = torch.cat([module(x[:, :, i : i + step]) for i in range(0, x.shape[-1], step)], dim=-1)
    octave = offline_reference(model, 2 * f0, loudness)
    assert float((up[0, :, 64:] - octave[:, :n]).abs().max()) < TOLERANCE


def test_onnx_decoder_equals_the_streaming_decoder(model, tmp_path):
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    meta = export(model, "onnx", tmp_path / "d.onnx", 128)
    session = ort.InferenceSession(str(tmp_path / "d.onnx"))
    decoder = StreamingDecoder(model)
    f0, loudness = controls(2)
    h = torch.randn(1, decoder.hidden) * 0.1
    want = decoder(f0, loudness, h)
    got = session.run(None, {"f0_hz": f0.numpy(), "loudness_db": loudness.numpy(), "state": h.numpy()})
    assert [o.name for o in session.get_outputs()] == meta["onnx"]["outputs"]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w.detach().numpy(), atol=1e-5)


def test_neutone_and_bad_requests_are_refused(model, tmp_path):
    with pytest.raises(ValueError, match="torchaudio"):
        export(model, "neutone", tmp_path / "m.nm", 256)
    assert "numpy" in NEUTONE_REASON
    with pytest.raises(ValueError, match="multiple of the model's hop"):
        export(model, "torchscript", tmp_path / "m.ts", 100)
    with pytest.raises(ValueError, match="format must be one of"):
        export(model, "vst", tmp_path / "m.ts", 256)
    assert not list(tmp_path.iterdir())  # nothing half-written

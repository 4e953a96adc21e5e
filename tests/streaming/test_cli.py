"""``ddsp-repro export`` and ``ddsp-repro stream`` on the shipped tiny model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from ddsp_repro.streaming.export import load_torchscript
from tests.helpers import cli
from tests.helpers.audio import voice


def test_stream_a_file_reports_rtf_and_writes_audio(tmp_path):
    sf.write(tmp_path / "in.wav", voice(1.5), 16000)
    cli(
        "stream",
        "--instrument",
        "pretrained:tiny_violin",
        "--input",
        tmp_path / "in.wav",
        "--out",
        tmp_path / "out.wav",
        "--block-size",
        256,
    )
    report = json.loads((tmp_path / "out.json").read_text())
    audio, rate = sf.read(tmp_path / "out.wav")
    assert rate == 16000 and np.isfinite(audio).all() and 0.001 < np.abs(audio).max() < 1.0
    assert len(audio) >= 1.5 * 16000 + 48000 - 1  # the input and the room's tail
    assert report["latency_samples"] == report["latency_parts_samples"]["features"] + 64
    assert report["blocks"] == -(-24000 // 256) and report["rtf"] > 0 and report["missed_deadlines"] >= 0
    assert report["f0_vs_offline_viterbi"]["voiced_frames"] > 0


def test_stream_refuses_another_rate_and_export_writes_a_loadable_file(tmp_path):
    sf.write(tmp_path / "in48.wav", voice(0.5, 48000), 48000)
    with pytest.raises(ValueError, match="48000 Hz and the model streams at 16000 Hz"):
        cli(
            "stream",
            "--instrument",
            "pretrained:tiny_violin",
            "--input",
            tmp_path / "in48.wav",
            "--out",
            tmp_path / "o.wav",
        )
    assert not (tmp_path / "o.wav").exists()
    cli(
        "export",
        "--instrument",
        "pretrained:tiny_violin",
        "--format",
        "torchscript",
        "--block-size",
        256,
        "--out",
        tmp_path / "t.ts",
    )
    module, meta = load_torchscript(tmp_path / "t.ts")
    assert meta["name"] == "tiny_violin" and meta["block_size"] == 256 and module.latency == 64


class _FakeSoundDevice:
    """`sounddevice` without a sound card: `sleep` runs the stream's callback on a recorded voice."""

    def __init__(self, audio):
        self.audio, self.played = audio, []

    def Stream(self, samplerate, blocksize, channels, dtype, callback, device):  # noqa: N802 - sounddevice's name
        fake = self

        class _Stream:
            latency = (0.01, 0.01)

            def __enter__(self):
                fake.callback, fake.blocksize = callback, blocksize
                return self

            def __exit__(self, *exc):
                return False

        return _Stream()

    def sleep(self, ms):
        b = self.blocksize
        for i in range(0, len(self.audio) // b * b, b):
            out = np.zeros((b, 1), dtype=np.float32)
            self.callback(self.audio[i : i + b, None], out, b, None, "")
            self.played.append(out[:, 0].copy())


def test_live_play_runs_the_callback_chain(monkeypatch, capsys):
    fake = _FakeSoundDevice(voice(1.0))
    monkeypatch.setitem(__import__("sys").modules, "sounddevice", fake)
    cli("stream", "--instrument", "pretrained:tiny_violin", "--live", "--seconds", 1, "--block-size", 256)
    report = json.loads(capsys.readouterr().out)
    played = np.concatenate(fake.played)
    assert report["blocks"] == len(fake.played) == 62 and report["xruns"] == 0
    assert np.isfinite(played).all() and np.abs(played).max() > 1e-3

"""``ddsp-repro export`` and ``ddsp-repro stream``: a trained instrument in real time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal


def export(
    instrument: str,
    format: Literal["torchscript", "nn-tilde", "onnx", "neutone"] = "torchscript",
    block_size: int = 256,
    out: Path | None = None,
) -> None:
    """Export a trained instrument for real-time use (`ddsp_repro.streaming.export` documents each format).

    Args:
        instrument: a folder written by `ddsp-repro instrument`, a checkpoint, or pretrained:NAME.
        format: ``torchscript`` (the streaming renderer), ``nn-tilde`` (Max/MSP, Pure Data), ``onnx``
            (the decoder) or ``neutone`` (refused with the reason).
        block_size: samples per block, a multiple of the model's hop (64 at 16 kHz).
        out: the file written (default ``exports/NAME-BLOCK.EXT``); its metadata goes beside it.
    """
    from ddsp_repro.demos.common import load_model
    from ddsp_repro.streaming.export import export as write

    loaded = load_model(instrument)
    name = Path(str(instrument).removeprefix("pretrained:")).name
    ext = {"torchscript": "ts", "nn-tilde": "ts", "onnx": "onnx", "neutone": "nm"}[format]
    tag = "nn" if format == "nn-tilde" else ""
    out = out or Path("exports") / f"{name}-{block_size}{'-' + tag if tag else ''}.{ext}"
    meta = write(loaded.model, format, out, block_size, name=name)
    print(json.dumps(meta, indent=2))
    print(f"wrote {out}  (latency {meta['latency_samples']} samples = {meta['latency_ms']:.1f} ms)")


def stream(
    instrument: str,
    input: Path | None = None,
    out: Path | None = None,
    block_size: int = 256,
    crepe_model: Literal["tiny", "full"] = "tiny",
    pitch_shift: float = 0.0,
    loudness_shift: float = 0.0,
    exported: bool = False,
    resample: bool = False,
    threads: int = 1,
    f0_every: int = 4,
    live: bool = False,
    seconds: float = 30.0,
) -> None:
    """Run a recording through an instrument as a live stream; report the real-time factor and
    deadline misses, write the output and ``OUT.json``. With ``--live``, play from the sound card's
    input to its output instead (needs sounddevice).

    Args:
        instrument: a folder written by `ddsp-repro instrument`, a checkpoint, or pretrained:NAME.
        input: the recording (mono or stereo), at the model's rate unless `resample`.
        out: the WAV written.
        block_size: samples per block, a multiple of the hop.
        crepe_model: CREPE of the live f0.
        pitch_shift: semitones added to the input's f0.
        loudness_shift: dB added to the input's loudness.
        exported: run the TorchScript export instead of the eager renderer (the native stream kernel
            where it builds, else PyTorch).
        resample: accept a recording at another rate (resampled before streaming).
        threads: torch threads (1: the real-time figures are per core).
        f0_every: CREPE on every this many frames, f0 interpolated between (CREPE tiny costs ~1.5 ms a
            frame on one CPU core; 1 runs it on all 250 frames a second).
        live: play live through the default sound card (sounddevice) for `seconds`.
        seconds: how long `live` plays.
    """
    import soundfile as sf
    import torch

    from ddsp_repro.audio import load_audio, write_json_atomic, write_wav
    from ddsp_repro.demos.common import load_model
    from ddsp_repro.streaming.session import play_live, stream_file

    torch.set_num_threads(threads)
    if live:
        report = play_live(
            load_model(instrument).model,
            block_size,
            seconds,
            crepe_model,
            pitch_shift,
            loudness_shift,
            f0_every,
        )
        print(json.dumps(report, indent=2))
        return
    if input is None or out is None:
        raise ValueError("give --input IN.wav and --out OUT.wav (or --live to play from the sound card)")
    if not Path(input).is_file():
        raise FileNotFoundError(f"{input} does not exist")
    loaded = load_model(instrument)
    rate = loaded.sample_rate
    file_rate = sf.info(str(input)).samplerate
    audio = load_audio(input, rate if resample else file_rate)
    audio_out, report = stream_file(
        loaded.model,
        audio,
        rate if resample else file_rate,
        block_size,
        crepe_model,
        pitch_shift,
        loudness_shift,
        exported,
        f0_every,
    )
    report["written"] = write_wav(out, audio_out, rate)
    write_json_atomic(Path(out).with_suffix(".json"), report)
    print(json.dumps(report, indent=2))
    print(
        f"RTF {report['rtf']:.4f} (worst block {report['worst_block_ms']:.2f} ms of "
        f"{report['deadline_ms']:.1f} ms), "
        f"{report['missed_deadlines']} missed deadlines in {report['blocks']} blocks; latency "
        f"{report['latency_ms']:.1f} ms; wrote {out}"
    )

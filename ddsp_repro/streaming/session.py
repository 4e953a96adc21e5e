"""Running a stream: the offline reference, controls or a file block by block, timed per block.

`offline_reference` is what a stream must equal (the offline render with the stream's noise and
the room's whole tail); `stream_controls` pushes controls through a renderer (eager or exported)
and times every block against its deadline (the block's own duration); `stream_audio` runs audio
through `StreamingFeatures` and the renderer as a live input would (timbre transfer).
"""

from __future__ import annotations

import contextlib
import gc
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from ddsp_repro.crepe.model import load_crepe
from ddsp_repro.dsp.core import hashed_uniform_noise
from ddsp_repro.dsp.filtering import fft_convolve
from ddsp_repro.models.autoencoder import Autoencoder
from ddsp_repro.streaming.features import StreamingFeatures

__all__ = [
    "BlockTimes",
    "offline_reference",
    "play_live",
    "stream_audio",
    "stream_controls",
    "stream_file",
    "warm_up",
]


@dataclass
class BlockTimes:
    """Compute time of each block against the block's duration (its deadline in a live stream)."""

    block_size: int
    sample_rate: int
    seconds: list[float] = field(default_factory=list)

    @property
    def deadline(self) -> float:
        return self.block_size / self.sample_rate

    def summary(self) -> dict:
        s = np.asarray(self.seconds)
        audio_seconds = len(s) * self.deadline
        return {
            "blocks": len(s),
            "block_size": self.block_size,
            "deadline_ms": 1e3 * self.deadline,
            "rtf": float(s.sum() / audio_seconds) if len(s) else float("nan"),
            "mean_block_ms": 1e3 * float(s.mean()) if len(s) else float("nan"),
            "p99_block_ms": 1e3 * float(np.percentile(s, 99)) if len(s) else float("nan"),
            "worst_block_ms": 1e3 * float(s.max()) if len(s) else float("nan"),
            "worst_rtf": float(s.max() / self.deadline) if len(s) else float("nan"),
            "missed_deadlines": int((s > self.deadline).sum()),
        }


def offline_reference(
    model: Autoencoder, f0_hz: Tensor, loudness_db: Tensor, z: Tensor | None = None, seed: int = 0
) -> Tensor:
    """The offline render of ``[batch, frames]`` controls with the stream's noise, and the room's
    whole tail after them: ``[batch, frames * hop + reverb_length - 1]`` (``frames * hop`` without a
    reverb). Its first ``frames * hop`` samples are `Autoencoder.synthesize`'s ``audio``."""
    n_frames = f0_hz.shape[1]
    offline = model.resized(n_frames * model.config.hop).eval()
    n = n_frames * model.config.hop
    noise = hashed_uniform_noise(0, n, f0_hz.shape[0], seed)
    with torch.no_grad():
        out = offline.synthesize(f0_hz, loudness_db, z, noise=noise)
        if offline.reverb is None:
            return out["audio"]
        dry = out["dry"]
        ir = offline.reverb.mask_dry(offline.reverb.impulse_response()[None])
        wet = fft_convolve(dry, ir, padding="valid", delay_compensation=0)
        wet[:, :n] += dry
    return wet


def stream_controls(
    renderer, f0_hz: Tensor, loudness_db: Tensor, z: Tensor | None = None, flush: bool = True
):
    """Push ``[batch, frames]`` controls through `renderer` (a `StreamingRenderer` or its TorchScript
    export) one block at a time -> ``(audio [batch, samples], BlockTimes)``.

    The controls are padded with their last frame to whole blocks (the padding frames are decoded
    too, so only controls of whole blocks end as the offline render does). With `flush`, the held frame
    and the room's tail follow (not timed: after the input stops there is no deadline).
    """
    frames = int(renderer.block_size) // int(renderer.hop)
    pad = (-f0_hz.shape[1]) % frames
    if pad:
        f0_hz = torch.cat([f0_hz, f0_hz[:, -1:].expand(-1, pad)], dim=1)
        loudness_db = torch.cat([loudness_db, loudness_db[:, -1:].expand(-1, pad)], dim=1)
        if z is not None:
            z = torch.cat([z, z[:, -1:].expand(-1, pad, -1)], dim=1)
    renderer.reset(f0_hz.shape[0])
    times = BlockTimes(int(renderer.block_size), int(renderer.sample_rate))
    pieces = []
    with torch.no_grad(), _no_gc_pauses():
        for j in range(0, f0_hz.shape[1], frames):
            # The block as a host hands it over (cut before the clock starts), then the renderer's time.
            f0_j, ld_j = f0_hz[:, j : j + frames], loudness_db[:, j : j + frames]
            zj = z[:, j : j + frames] if z is not None else None
            start = time.perf_counter()
            pieces.append(renderer(f0_j, ld_j, zj))
            times.seconds.append(time.perf_counter() - start)
        if flush:
            pieces.append(renderer.flush())
    return torch.cat(pieces, dim=1), times


@contextlib.contextmanager
def _no_gc_pauses():
    """Python's cyclic garbage collector off while blocks are timed (a full collection in a process
    holding the CLI's imports took ~250 ms, a missed deadline); collected before and after."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()


def warm_up(renderer, crepe_model: str | None = None, z: Tensor | None = None, blocks: int = 3) -> None:
    """What a live host does before it starts the clock: load CREPE, run a few silent blocks (a
    scripted module optimises itself on its first calls), then `reset` the renderer."""
    frames = int(renderer.block_size) // int(renderer.hop)
    if crepe_model is not None:
        load_crepe(crepe_model)
    renderer.reset(1)
    with torch.no_grad():
        for _ in range(blocks):
            renderer(torch.zeros(1, frames), torch.full((1, frames), -120.0), z)
    renderer.reset(1)


def stream_audio(
    renderer,
    audio: np.ndarray,
    features: StreamingFeatures,
    pitch_shift: float = 0.0,
    loudness_shift: float = 0.0,
    z: Tensor | None = None,
):
    """Live timbre transfer of mono `audio` at the renderer's rate, block by block: features of the
    block (`StreamingFeatures`), f0 shifted by `pitch_shift` semitones and loudness by
    `loudness_shift` dB, then the renderer (`z [1, z_dims]`, held, for models with a z encoder). Each
    block is timed from its audio to its output.

    Returns ``(audio out [samples], features {name: [frames]}, BlockTimes)``; the output is the
    input's length plus the room's tail, and lags the input by ``features.latency + renderer.latency``.
    """
    block = int(renderer.block_size)
    frames = block // int(renderer.hop)
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    x = np.concatenate([x, np.zeros((-x.size) % block, dtype=np.float32)])
    held_z = None if z is None else z[:, None].expand(-1, frames, -1)
    warm_up(renderer, features.crepe_model, held_z)
    times = BlockTimes(block, int(renderer.sample_rate))
    pieces, track = [], {"f0_hz": [], "f0_confidence": [], "loudness_db": []}
    ratio = float(2.0 ** (pitch_shift / 12.0))
    with torch.no_grad(), _no_gc_pauses():
        for i in range(0, x.size, block):
            start = time.perf_counter()
            feats = features(x[i : i + block])
            pieces.append(renderer(feats["f0_hz"] * ratio, feats["loudness_db"] + loudness_shift, held_z))
            times.seconds.append(time.perf_counter() - start)
            for k in track:
                track[k].append(feats[k][0])
        pieces.append(renderer.flush())
    out = torch.cat(pieces, dim=1)[0].numpy()
    return out, {k: torch.cat(v).numpy() for k, v in track.items()}, times


def _require_audio_conditioning(model: Autoencoder) -> None:
    """Audio in needs a model conditioned on f0 and loudness alone (no z encoder)."""
    if model.config.z_dims:
        raise ValueError("models with a z encoder (NSynth) are streamed from controls and z, not from audio")


def stream_file(
    model: Autoencoder,
    audio: np.ndarray,
    sample_rate: int,
    block_size: int,
    crepe_model: str = "tiny",
    pitch_shift: float = 0.0,
    loudness_shift: float = 0.0,
    exported: bool = False,
    f0_every: int = 4,
) -> tuple[np.ndarray, dict]:
    """Timbre transfer of a recording run as a live stream -> ``(audio out, report)``.

    The report holds the latency (features + renderer, samples and ms), the block timing
    (`BlockTimes.summary`: RTF, mean / p99 / worst block, missed deadlines) and how far the
    streamed f0 (weighted argmax, causal, CREPE on every `f0_every`-th frame) is from the offline
    features' Viterbi f0 on CREPE's confidently voiced frames.
    Raises ValueError for a recording at another rate than the model's (a live input cannot be
    resampled for free: resample the file first) or a block size that is not a multiple of the hop.
    """
    from ddsp_repro.crepe.f0 import compute_features
    from ddsp_repro.streaming.renderer import StreamingRenderer

    c = model.config
    if sample_rate != c.sample_rate:
        raise ValueError(
            f"the input is at {sample_rate} Hz and the model streams at {c.sample_rate} Hz; a live stream "
            "runs at the model's rate (resample the file first, e.g. --resample)"
        )
    _require_audio_conditioning(model)
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    if not np.isfinite(x).all():
        raise ValueError(f"the input holds {int((~np.isfinite(x)).sum())} NaN or infinite samples")
    renderer = StreamingRenderer(model.eval(), block_size, fused=False if exported else None)
    runner = torch.jit.script(renderer) if exported else renderer
    features = StreamingFeatures(c.sample_rate, c.hop, c.alignment, crepe_model, f0_every)
    out, track, times = stream_audio(runner, x, features, pitch_shift, loudness_shift)
    latency = features.latency + renderer.latency
    offline = compute_features(torch.from_numpy(x)[None], c.sample_rate, c.hop, c.paddings, crepe_model)
    d = features.latency_frames
    n = min(len(track["f0_hz"]) - d, offline["f0_hz"].shape[1])
    live_f0, ref_f0 = track["f0_hz"][d : d + n], offline["f0_hz"][0, :n].numpy()
    voiced = (offline["f0_confidence"][0, :n].numpy() > 0.5) & (live_f0 > 0) & (ref_f0 > 0)
    cents = 1200.0 * np.abs(np.log2(live_f0[voiced] / ref_f0[voiced])) if voiced.any() else np.zeros(0)
    report = {
        "sample_rate": c.sample_rate,
        "hop": c.hop,
        "implementation": implementation(runner),
        "threads": torch.get_num_threads(),
        "crepe_model": crepe_model,
        "f0_every": f0_every,
        "latency_samples": latency,
        "latency_ms": 1e3 * latency / c.sample_rate,
        "latency_parts_samples": {"features": features.latency, "renderer": renderer.latency},
        **times.summary(),
        "f0_vs_offline_viterbi": {
            "voiced_frames": int(voiced.sum()),
            "median_cents": float(np.median(cents)) if cents.size else None,
            "frames_over_50_cents": int((cents > 50).sum()),
        },
        "output_peak": float(np.abs(out).max()),
    }
    return out, report


def fastest_renderer(model: Autoencoder, block_size: int):
    """The renderer a live host should run: the native stream kernel where it builds, else the
    TorchScript renderer (faster than eager PyTorch on small blocks)."""
    from ddsp_repro.streaming.renderer import StreamingRenderer

    renderer = StreamingRenderer(model, block_size)
    return renderer if renderer.fused is not None else torch.jit.script(renderer)


def implementation(renderer) -> str:
    """How `renderer` runs its blocks: "fused" (the native kernel), "eager" or "torchscript"."""
    if isinstance(renderer, torch.jit.ScriptModule):
        return "torchscript"
    return "fused" if renderer.fused is not None else "eager"


def play_live(
    model: Autoencoder,
    block_size: int,
    seconds: float = 30.0,
    crepe_model: str = "tiny",
    pitch_shift: float = 0.0,
    loudness_shift: float = 0.0,
    f0_every: int = 4,
    device: int | str | None = None,
) -> dict:
    """Live timbre transfer from the sound card's input to its output for `seconds` (`sounddevice`).

    Each callback gets one block of input at the model's rate, computes its features and renders
    (`fastest_renderer`); a block whose compute outlasts its duration, or a callback with an
    under- or overflow status, counts as a missed deadline. Returns `BlockTimes.summary` with the
    latency and the sound card's own. Raises ImportError without `sounddevice` (pip install
    sounddevice; it needs PortAudio) and ValueError for models with a z encoder.
    """
    try:
        import sounddevice as sd
    except (ImportError, OSError) as e:
        raise ImportError(f"live play needs sounddevice and PortAudio (pip install sounddevice): {e}") from e

    c = model.config
    _require_audio_conditioning(model)
    renderer = fastest_renderer(model.eval(), block_size)
    warm_up(renderer, crepe_model)
    features = StreamingFeatures(c.sample_rate, c.hop, c.alignment, crepe_model, f0_every)
    times = BlockTimes(block_size, c.sample_rate)
    xruns = []
    ratio = float(2.0 ** (pitch_shift / 12.0))

    def callback(indata, outdata, frames, _time, status) -> None:
        start = time.perf_counter()
        if status:
            xruns.append(str(status))
        with torch.no_grad():
            feats = features(np.nan_to_num(indata[:, 0]))
            audio = renderer(feats["f0_hz"] * ratio, feats["loudness_db"] + loudness_shift, None)
        outdata[:, 0] = np.clip(audio[0].numpy(), -1.0, 1.0)
        times.seconds.append(time.perf_counter() - start)

    with (
        _no_gc_pauses(),
        sd.Stream(
            samplerate=c.sample_rate,
            blocksize=block_size,
            channels=1,
            dtype="float32",
            callback=callback,
            device=device,
        ) as stream,
    ):
        sd.sleep(int(seconds * 1000))
        card_latency = stream.latency
    summary = times.summary()
    summary["missed_deadlines"] += len(xruns)
    latency = features.latency + renderer.latency
    return {
        **summary,
        "xruns": len(xruns),
        "implementation": implementation(renderer),
        "latency_samples": latency,
        "latency_ms": 1e3 * latency / c.sample_rate,
        "sound_card_latency_s": card_latency,
    }

"""Is a folder of recordings fit to teach a DDSP solo-instrument model? `ddsp-repro inspect DIR`.

The solo-instrument models play one harmonic voice: an f0, its harmonics and filtered noise. They
learn well from several minutes of one monophonic, sustained instrument recorded at a clean level,
and badly from anything else. `check_recordings` measures what decides that, file by file:

- amount: usable minutes and the 4 s windows training will see, files skipped and why;
- format: sample rates and channel counts found;
- pitch: CREPE f0 of every 20 ms frame, the share of sounding frames CREPE is confident about, the
  pitch range and histogram;
- monophony: on sounding frames, the share of spectral power on the harmonics of the tracked f0
  (a single voice puts nearly all its power there; a chord, bells or a second instrument do not);
- percussiveness: the share of spectral power that a harmonic/percussive median-filter split
  (Fitzgerald, 2010) assigns to the percussive part;
- level: loudness range, clipped samples, silence, DC offset, float audio beyond +-1.

`CheckReport` holds the figures, a list of `Finding`s (each a warning or a problem, with advice)
and a verdict: ``ready``, ``usable with warnings`` or ``unfit``. `plot_check` draws it on one page.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from ddsp_repro.audio import AudioFileError, atomic_path, load_audio, resample_audio, write_json_atomic
from ddsp_repro.data.recordings import find_audio_files, split_windows
from ddsp_repro.logs import get_logger

__all__ = [
    "CheckReport",
    "Finding",
    "Thresholds",
    "cache_check",
    "check_prepared",
    "check_recordings",
    "plot_check",
]

log = get_logger(__name__)

SAMPLE_RATE = 16000
FRAME_RATE = 50  # 20 ms frames for every frame-wise measure (CREPE costs per frame)
HOP = SAMPLE_RATE // FRAME_RATE
CHUNK_SECONDS = 60  # CREPE and the spectra run on pieces of this length (bounded memory)
SILENT_DBFS = -60.0  # a frame below this RMS level is silence
CONFIDENT = 0.7  # CREPE confidence from which a frame counts as pitched here
CLIP_LEVEL = 0.999  # |sample| at or above this is counted as clipped
N_FFT = 2048  # harmonic share: 128 ms frames, 7.8 Hz bins
HPSS_FFT, HPSS_KERNEL = 1024, 17


@dataclass(frozen=True)
class Thresholds:
    """Where a measure turns into a warning or a problem (see `check_recordings`)."""

    problem_minutes: float = 1.0  # pitched minutes below which the data is too little
    warning_minutes: float = 5.0  # the paper's solo violin had about 13 minutes
    problem_pitched: float = 0.4  # share of sounding frames CREPE is confident about
    warning_pitched: float = 0.7
    problem_harmonic: float = 0.55  # median share of power on the tracked f0's harmonics
    warning_harmonic: float = 0.75
    problem_percussive: float = 0.5  # share of power in the percussive part
    warning_percussive: float = 0.3
    warning_clipped: float = 1e-3  # share of samples at full scale
    warning_silent: float = 0.5  # share of silent frames
    warning_dc: float = 0.01  # |mean| of a file
    warning_sample_rate: int | None = None  # files below this lack the model's top band (None: its rate)


@dataclass(frozen=True)
class Finding:
    level: Literal["warning", "problem"]
    topic: str  # amount, format, pitch, monophony, percussive, level
    message: str
    advice: str


@dataclass
class CheckReport:
    """What `check_recordings` measured, its findings and its verdict (JSON-ready)."""

    folder: str
    verdict: Literal["ready", "usable with warnings", "unfit"]
    findings: list[Finding]
    files: list[dict]  # one row per file: name, seconds, rate, channels, peak, dc, ...
    skipped: dict[str, list[str]]  # reason -> file names
    sample_rates: dict[int, int]  # rate -> files
    channels: dict[int, int]  # channel count -> files
    minutes: float  # usable audio
    sounding_minutes: float
    pitched_minutes: float
    windows: int  # 4 s windows with a 1 s hop, as `prepare` cuts them
    pitched_share: float  # of sounding frames
    harmonic_share: float  # median over sounding frames
    percussive_share: float  # files' shares weighted by their sounding time
    pitch_midi: dict[str, float]  # p1, p5, p50, p95, p99 of pitched frames
    pitch_histogram: dict[int, int]  # MIDI note -> pitched frames
    loudness_db: dict[str, float]  # p5, p50, p95 of sounding frames (paper loudness)
    clipped_share: float
    silent_share: float
    crepe_model: str
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "problem"]

    def to_dict(self) -> dict:
        return asdict(self)

    def save(self, path: str | Path) -> Path:
        return write_json_atomic(path, self.to_dict(), indent=2)

    def lines(self) -> list[str]:
        """The report as a person reads it: figures, then each finding with its advice."""
        out = [
            f"{self.folder}: {len(self.files)} usable files, {self.minutes:.1f} min "
            f"({self.sounding_minutes:.1f} sounding, {self.pitched_minutes:.1f} pitched), "
            f"{self.windows} training windows",
            "sample rates: "
            + ", ".join(f"{r} Hz x{n}" for r, n in sorted(self.sample_rates.items()))
            + "; channels: "
            + ", ".join(f"{c} x{n}" for c, n in sorted(self.channels.items())),
        ]
        for reason, names in sorted(self.skipped.items()):
            out.append(
                f"skipped {len(names)} ({reason}): {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
            )
        if self.pitch_midi:
            p = self.pitch_midi
            out.append(
                f"pitch: MIDI {p['p5']:.1f}-{p['p95']:.1f} (median {p['p50']:.1f}); "
                f"{self.pitched_share:.0%} of sounding frames pitched; harmonic share "
                f"{self.harmonic_share:.2f}; percussive share {self.percussive_share:.2f}"
            )
        if self.loudness_db:
            ld = self.loudness_db
            out.append(
                f"loudness: {ld['p5']:.1f} to {ld['p95']:.1f} dB; clipped {self.clipped_share:.2%} of "
                f"samples; silent {self.silent_share:.0%} of frames"
            )
        for f in self.findings:
            out.append(f"{f.level}: [{f.topic}] {f.message} -> {f.advice}")
        out.append(f"verdict: {self.verdict}")
        return out


# -- measures ----------------------------------------------------------------------------------


def _frame_rms_db(audio: np.ndarray) -> np.ndarray:
    n = len(audio) // HOP
    frames = audio[: n * HOP].reshape(n, HOP).astype(np.float64)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def _power_spectrogram(audio: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """``[frames, bins]`` power, frame ``i`` centred on sample ``i * hop``."""
    padded = np.pad(audio.astype(np.float32), (n_fft // 2, n_fft // 2))
    n = 1 + (len(padded) - n_fft) // hop
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop][:n]
    return np.abs(np.fft.rfft(frames * np.hanning(n_fft).astype(np.float32), axis=1)) ** 2


def harmonic_share(audio: np.ndarray, f0_hz: np.ndarray) -> np.ndarray:
    """Per frame: the share of power within a bin (or 3 %) of a harmonic of `f0_hz`."""
    power = _power_spectrogram(audio, N_FFT, HOP)[: len(f0_hz)]
    f0 = np.maximum(f0_hz[: len(power), None], 1.0)
    freqs = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)[None, :]
    k = np.maximum(np.round(freqs / f0), 1.0)
    tolerance = np.maximum(1.5 * SAMPLE_RATE / N_FFT, 0.03 * f0)
    on_harmonic = (np.abs(freqs - k * f0) <= tolerance) & (freqs >= 0.5 * f0)
    total = power.sum(axis=1) + 1e-12
    return (power * on_harmonic).sum(axis=1) / total


def percussive_power(audio: np.ndarray) -> tuple[float, float]:
    """(percussive, total) power of a median-filter harmonic / percussive split."""
    from scipy.ndimage import median_filter

    power = _power_spectrogram(audio, HPSS_FFT, HPSS_FFT // 4)
    harmonic = median_filter(power, size=(HPSS_KERNEL, 1), mode="nearest")
    percussive = median_filter(power, size=(1, HPSS_KERNEL), mode="nearest")
    mask = percussive**2 / (harmonic**2 + percussive**2 + 1e-20)
    return float((power * mask).sum()), float(power.sum())


def _file_measures(raw: np.ndarray, crepe_model: str) -> dict:
    """Frame-wise measures of one mono 16 kHz file, in `CHUNK_SECONDS` pieces."""
    import torch

    from ddsp_repro.dsp import compute_f0, compute_loudness

    chunk = CHUNK_SECONDS * SAMPLE_RATE
    parts: dict[str, list] = {"rms_db": [], "f0": [], "conf": [], "loud": [], "harm": []}
    perc = total = 0.0
    for start in range(0, len(raw), chunk):
        piece = raw[start : start + chunk]
        piece = np.pad(piece, (0, -len(piece) % HOP))
        if len(piece) < 1024:
            piece = np.pad(piece, (0, 1024 - len(piece)))
        n = len(piece) // HOP
        x = torch.from_numpy(np.clip(piece, -1, 1).astype(np.float32))[None]
        f0, conf = compute_f0(x, SAMPLE_RATE, FRAME_RATE, crepe_model=crepe_model)
        loud = compute_loudness(x, SAMPLE_RATE, FRAME_RATE)
        f0, conf, loud = f0[0, :n].numpy(), conf[0, :n].numpy(), loud[0, :n].numpy()
        parts["rms_db"].append(_frame_rms_db(piece)[:n])
        parts["f0"].append(f0)
        parts["conf"].append(conf)
        parts["loud"].append(loud)
        parts["harm"].append(harmonic_share(piece, f0))
        p, t = percussive_power(piece)
        perc, total = perc + p, total + t
    out = {k: np.concatenate(v) for k, v in parts.items()}
    out["percussive"], out["power"] = perc, total
    return out


def _read(path: Path) -> tuple[np.ndarray, dict]:
    """Raw mono samples at the file's own rate (floats unscaled) and its format."""
    import soundfile as sf

    info = sf.info(str(path))
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    return data.mean(axis=1), {
        "sample_rate": int(rate),
        "channels": int(info.channels),
        "subtype": info.subtype,
    }


# -- the check ---------------------------------------------------------------------------------


def check_recordings(
    folder: str | Path,
    crepe_model: str = "tiny",
    thresholds: Thresholds = Thresholds(),
    window_seconds: float = 4.0,
    hop_seconds: float = 1.0,
    progress: bool = False,
    sample_rate: int = 16000,
) -> CheckReport:
    """Measure every audio file below `folder` and judge the set (see the module doc).

    `sample_rate` is the rate of the model the recordings are for: files recorded below it are
    flagged. The measures themselves are taken at 16 kHz (CREPE's rate; pitch, monophony and level
    live below 8 kHz) whatever the model's rate.

    Raises:
        FileNotFoundError: no folder, or no audio files in it.
    """
    from tqdm import tqdm

    folder = Path(folder)
    paths = find_audio_files(folder)
    rows, skipped = [], {}
    rates, channels = Counter(), Counter()
    frames: dict[str, list] = {"rms_db": [], "f0": [], "conf": [], "loud": [], "harm": []}
    n_clipped = n_samples = 0
    windows = 0
    for path in tqdm(paths, desc="checking recordings", unit="file", disable=not progress):
        name = str(path.relative_to(folder))
        try:
            load_audio(path, SAMPLE_RATE)  # the same acceptance as `prepare`: reasons match
            raw, fmt = _read(path)
        except AudioFileError as exc:
            skipped.setdefault(exc.reason.split(" (")[0], []).append(name)
            continue
        rates[fmt["sample_rate"]] += 1
        channels[fmt["channels"]] += 1
        peak, dc = float(np.abs(raw).max()), float(raw.mean())
        clipped = int(np.sum(np.abs(raw) >= CLIP_LEVEL * max(peak, 1.0)))  # float files: at their peak
        n_clipped, n_samples = n_clipped + clipped, n_samples + raw.size
        audio = resample_audio(raw - dc, fmt["sample_rate"], SAMPLE_RATE)
        if peak > 1.0:
            audio = audio / peak  # as `prepare` scales such files
        m = _file_measures(audio, crepe_model)
        for key in frames:
            frames[key].append(m[key])
        n_windows = len(
            split_windows(audio, int(window_seconds * SAMPLE_RATE), int(hop_seconds * SAMPLE_RATE))
        )
        windows += n_windows
        sounding = m["rms_db"] > SILENT_DBFS
        pitched = sounding & (m["conf"] >= CONFIDENT)
        rows.append(
            {
                "file": name,
                "seconds": round(raw.size / fmt["sample_rate"], 2),
                **fmt,
                "peak": round(peak, 4),
                "dc_offset": round(dc, 5),
                "clipped_share": round(clipped / raw.size, 6),
                "silent_share": round(1 - float(sounding.mean()), 3),
                "pitched_share": round(float(pitched.sum() / max(sounding.sum(), 1)), 3),
                "harmonic_share": round(float(np.median(m["harm"][sounding])), 3) if sounding.any() else None,
                "percussive_share": round(m["percussive"] / max(m["power"], 1e-20), 3),
                "windows": n_windows,
            }
        )
    counts = {"clipped": n_clipped, "samples": n_samples, "windows": windows}
    return _judge(
        folder, rows, skipped, rates, channels, frames, counts, crepe_model, thresholds, sample_rate
    )


def _judge(folder, rows, skipped, rates, channels, frames, counts, crepe_model, t, model_rate) -> CheckReport:
    """Aggregate the per-file rows and frames into figures, findings and a verdict."""
    findings: list[Finding] = []
    add = lambda level, topic, message, advice: findings.append(Finding(level, topic, message, advice))  # noqa: E731
    for reason, names in skipped.items():
        add("warning", "amount", f"{len(names)} file(s) skipped: {reason}", "repair or remove them")
    if not rows:
        add("problem", "amount", "no usable audio file", "give a folder of wav/flac/ogg/mp3 recordings")
        return CheckReport(
            str(folder), "unfit", findings, rows, skipped, dict(rates), dict(channels), 0.0, 0.0, 0.0, 0,
            0.0, 0.0, 0.0, {}, {}, {}, 0.0, 0.0, crepe_model, t,
        )  # fmt: skip
    cat = {k: np.concatenate(v) for k, v in frames.items()}
    sounding = cat["rms_db"] > SILENT_DBFS
    pitched = sounding & (cat["conf"] >= CONFIDENT)
    minutes = sum(r["seconds"] for r in rows) / 60
    sounding_minutes = float(sounding.sum()) / FRAME_RATE / 60
    pitched_minutes = float(pitched.sum()) / FRAME_RATE / 60
    pitched_share = float(pitched.sum() / max(sounding.sum(), 1))
    harm = float(np.median(cat["harm"][sounding])) if sounding.any() else 0.0
    # Each file's share, weighted by its sounding time: a loud file must not hide a percussive one.
    weights = np.array([r["seconds"] * (1 - r["silent_share"]) for r in rows])
    shares = np.array([r["percussive_share"] for r in rows])
    perc_share = float((weights * shares).sum() / max(weights.sum(), 1e-9))
    midi = 69 + 12 * np.log2(np.maximum(cat["f0"][pitched], 1e-3) / 440.0)
    pitch = (
        {f"p{q}": round(float(np.percentile(midi, q)), 2) for q in (1, 5, 50, 95, 99)} if midi.size else {}
    )
    histogram = {
        int(k): int(v)
        for k, v in zip(*np.unique(np.round(midi).astype(int), return_counts=True), strict=True)
    }
    loud = cat["loud"][sounding]
    loudness = {f"p{q}": round(float(np.percentile(loud, q)), 2) for q in (5, 50, 95)} if loud.size else {}
    clipped_share = counts["clipped"] / max(counts["samples"], 1)
    silent_share = 1 - float(sounding.mean())

    graded = [  # (measure, value, problem limit, warning limit, what, advice for a problem, for a warning)
        ("amount", -pitched_minutes, -t.problem_minutes, -t.warning_minutes,
         f"{pitched_minutes:.1f} min of pitched sound",
         f"record at least {t.warning_minutes:g} minutes of the instrument (the paper's violin: 13)",
         "expect a rough model; 10 minutes or more learns the timbre well"),
        ("pitch", -pitched_share, -t.problem_pitched, -t.warning_pitched,
         f"{pitched_share:.0%} of sounding frames have a clear pitch",
         "the models play one pitched voice: use a melodic instrument, not noise, drums or effects",
         "remove unpitched passages (noise, percussion, speech) unless they are part of the sound"),
        ("monophony", -harm, -t.problem_harmonic, -t.warning_harmonic,
         f"harmonic share {harm:.2f}: polyphonic or inharmonic (chords, several instruments, bells)",
         "use recordings of one monophonic, harmonic instrument",
         "leave out chords and passages where notes overlap"),
        ("percussive", perc_share, t.problem_percussive, t.warning_percussive,
         f"percussive share {perc_share:.2f}",
         "the models sustain notes: drums, plucks and hammers are learned poorly",
         "attacks of plucked or struck notes will be smeared; bowed, blown or sung notes suit best"),
    ]  # fmt: skip
    for topic, value, problem, warning, what, problem_advice, warning_advice in graded:
        if value > problem:
            add("problem", topic, what, problem_advice)
        elif value > warning:
            add("warning", topic, what, warning_advice)
    loud_files = [r["file"] for r in rows if r["peak"] > 1.0]
    if loud_files:
        add("warning", "level", f"{len(loud_files)} float file(s) beyond +-1 ({', '.join(loud_files[:3])})",
            "they are scaled to peak 1 when prepared; check the export gain")  # fmt: skip
    if clipped_share > t.warning_clipped:
        add("warning", "level", f"{clipped_share:.2%} of samples at full scale (clipping)",
            "record with more headroom; clipped peaks add harmonics the model will learn")  # fmt: skip
    dc_files = [r["file"] for r in rows if abs(r["dc_offset"]) > t.warning_dc]
    if dc_files:
        add("warning", "level", f"DC offset in {len(dc_files)} file(s) ({', '.join(dc_files[:3])})",
            "high-pass filter them (the offset is removed for this check, not when prepared)")  # fmt: skip
    if silent_share > t.warning_silent:
        add("warning", "level", f"{silent_share:.0%} of frames are silent",
            "trim long silences: they become training windows with nothing to learn")  # fmt: skip
    low_rates = sorted(r for r in rates if r < (t.warning_sample_rate or model_rate))
    if low_rates:
        add("warning", "format", f"files at {', '.join(map(str, low_rates))} Hz",
            f"the model runs at {model_rate} Hz; content above {low_rates[0] // 2} Hz is missing "
            "in them (upsampled, not restored)")  # fmt: skip
    verdict = (
        "unfit"
        if any(f.level == "problem" for f in findings)
        else "usable with warnings"
        if findings
        else "ready"
    )
    return CheckReport(
        str(folder), verdict, findings, rows, skipped, dict(rates), dict(channels), round(minutes, 3),
        round(sounding_minutes, 3), round(pitched_minutes, 3), counts["windows"], round(pitched_share, 3),
        round(harm, 3), round(perc_share, 3), pitch, histogram, loudness, round(clipped_share, 6),
        round(silent_share, 3), crepe_model, t,
    )  # fmt: skip


# -- the figure --------------------------------------------------------------------------------

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def plot_check(report: CheckReport, path: str | Path) -> Path:
    """One page: pitch histogram, per-file minutes and shares, the figures and the verdict."""
    import matplotlib.pyplot as plt

    from ddsp_repro.plots import save_figure

    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5))
    ax = axes[0, 0]
    if report.pitch_histogram:
        notes = sorted(report.pitch_histogram)
        counts = [report.pitch_histogram[n] / FRAME_RATE for n in notes]
        ax.bar(notes, counts, color="tab:blue")
        ticks = [n for n in range(notes[0], notes[-1] + 1) if n % 12 in (0, 7)] or notes
        ax.set_xticks(ticks, [f"{NOTE_NAMES[n % 12]}{n // 12 - 1}" for n in ticks])
    ax.set(title="pitch of pitched frames", xlabel="note", ylabel="seconds")

    ax = axes[0, 1]
    names = [r["file"] for r in report.files][:30]
    if names:
        y = np.arange(len(names))
        seconds = np.array([r["seconds"] for r in report.files][:30])
        sounding = seconds * (1 - np.array([r["silent_share"] for r in report.files][:30]))
        pitched = sounding * np.array([r["pitched_share"] for r in report.files][:30])
        ax.barh(y, seconds / 60, color="lightgray", label="total")
        ax.barh(y, sounding / 60, color="tab:orange", label="sounding")
        ax.barh(y, pitched / 60, color="tab:green", label="pitched")
        ax.set_yticks(y, [n if len(n) < 28 else "..." + n[-25:] for n in names], fontsize=7)
        ax.invert_yaxis()
        ax.legend(fontsize=8, loc="lower right")
    ax.set(title=f"minutes per file ({len(report.files)} usable)", xlabel="minutes")

    ax = axes[1, 0]
    t = report.thresholds
    measures = [
        ("pitched share", report.pitched_share, t.problem_pitched, t.warning_pitched, True),
        ("harmonic share", report.harmonic_share, t.problem_harmonic, t.warning_harmonic, True),
        ("percussive share", report.percussive_share, t.problem_percussive, t.warning_percussive, False),
        ("silent share", report.silent_share, None, t.warning_silent, False),
    ]
    for i, (_, value, problem, warning, higher_is_better) in enumerate(measures):
        bad = problem is not None and (value < problem if higher_is_better else value > problem)
        meh = value < warning if higher_is_better else value > warning
        ax.barh(i, value, color="tab:red" if bad else "gold" if meh else "tab:green")
        for limit, style in ((problem, "-"), (warning, "--")):
            if limit is not None:
                ax.plot([limit, limit], [i - 0.4, i + 0.4], "k" + style, lw=1)
        ax.text(min(value, 0.95) + 0.01, i, f"{value:.2f}", va="center", fontsize=9)
    ax.set_yticks(range(len(measures)), [m[0] for m in measures])
    ax.invert_yaxis()
    ax.set(xlim=(0, 1.1), title="measures (lines: problem -, warning --)")

    ax = axes[1, 1]
    ax.axis("off")
    colour = {"ready": "tab:green", "usable with warnings": "darkorange", "unfit": "tab:red"}[report.verdict]
    ax.text(0, 1, f"verdict: {report.verdict}", fontsize=15, color=colour, weight="bold", va="top")
    text = "\n".join(_wrap(line, 70) for line in report.lines()[:-1])
    ax.text(0, 0.88, text, fontsize=7.5, va="top", family="monospace")
    fig.suptitle(f"dataset check: {report.folder}", fontsize=11)
    return save_figure(fig, path)


def _wrap(line: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(line, width, subsequent_indent="  ")) or line


# -- at the start of training ------------------------------------------------------------------

CACHE = "check.json"


def check_prepared(folder: str | Path, crepe_model: str = "tiny") -> dict | None:
    """The check of the recordings a prepared `folder` was made from, cached in ``folder/check.json``.

    None for folders made from NSynth-format sources, or whose recordings are no longer where the
    manifest says. Returns ``{"verdict", "lines", "source_hash", "report"}``.
    """
    import json

    from ddsp_repro.data.prepare import MANIFEST

    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        return None
    manifest = json.loads(manifest_path.read_text())
    source = Path(manifest.get("source", ""))
    cache = folder / CACHE
    try:
        cached = json.loads(cache.read_text())
        if cached.get("source_hash") == manifest.get("source_hash"):
            return cached
    except (OSError, ValueError):  # none yet, or unreadable: measure again
        pass
    if manifest.get("source_kind") != "recordings" or not source.is_dir():
        return None
    rate = int(manifest.get("settings", {}).get("sample_rate", SAMPLE_RATE))
    return cache_check(folder, check_recordings(source, crepe_model=crepe_model, sample_rate=rate))


def cache_check(folder: str | Path, report: CheckReport) -> dict:
    """Store `report` as the check of the prepared `folder` (what `check_prepared` returns)."""
    import json

    from ddsp_repro.data.prepare import MANIFEST

    manifest = json.loads((Path(folder) / MANIFEST).read_text())
    result = {
        "verdict": report.verdict,
        "lines": report.lines(),
        "source_hash": manifest.get("source_hash"),
        "report": report.to_dict(),
    }
    try:  # several processes (sweep workers) may start on one folder: each its own temporary
        with atomic_path(Path(folder) / CACHE, unique=True) as partial:
            partial.write_text(json.dumps(result, indent=2) + "\n")
    except OSError:  # a read-only feature folder: check again next time
        pass
    return result

"""``ddsp-repro build-data``, ``inspect``, ``prepare`` and ``import-magenta``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from tyro.conf import Positional


def build_data(
    kind: Positional[Literal["builtin", "violin"]],
    out: Path,
    soundfont: str | None = None,
    pitch_step: int = 1,
    velocities: tuple[int, ...] = (50, 75, 100, 127),
    minutes: float = 13.0,
    seed: int = 0,
    program: int = 40,
    check: int = 0,
    sample_rate: int = 16000,
) -> None:
    """Render an offline data set: the built-in NSynth-format notes or the solo-violin stand-in.

    Training builds these on first use; this command builds them on their own (to inspect them, or
    with other sizes). Both play the FluidR3 General-MIDI soundfont (MIT) through tinysoundfont.

    Args:
        kind: ``builtin`` (sampled instruments, NSynth layout) or ``violin`` (public-domain airs).
        out: the folder to write.
        soundfont: an ``.sf2`` file (default: FluidR3_GM from Debian's fluid-soundfont-gm).
        pitch_step: builtin: every how many MIDI pitches a note is rendered.
        velocities: builtin: the velocities rendered.
        minutes: violin: minutes of tunes to render (the paper's set is about 13).
        seed: violin: the order and expression of the tunes.
        program: violin: the General-MIDI program that plays them (40 violin; 73 flute, 42 cello, ...).
        check: builtin: afterwards measure CREPE (full) against the rendered pitch on N notes.
        sample_rate: Hz the soundfont renders at (natively: 44100 or 48000 for those presets).
    """
    if kind == "builtin":
        from ddsp_repro.data.builtin import BuiltinSpec, build, check_pitch

        counts = build(
            out,
            BuiltinSpec(velocities=tuple(velocities), pitch_step=pitch_step, sample_rate=sample_rate),
            soundfont,
        )
        print(f"wrote {sum(counts.values())} notes to {out}: {counts}")
        if check:
            print(json.dumps(check_pitch(out, check), indent=2))
    else:
        from ddsp_repro.data.violin import ViolinSpec, build_violin

        result = build_violin(
            out, ViolinSpec(minutes=minutes, seed=seed, program=program, sample_rate=sample_rate), soundfont
        )
        print(f"wrote {result['tunes']} tunes, {result['seconds'] / 60:.1f} minutes, to {out}")


def inspect(
    folder: Positional[Path],
    out: Path | None = None,
    crepe_model: Literal["tiny", "full"] = "tiny",
    sample_rate: int = 16000,
) -> None:
    """Check a folder of recordings before training on it: amount, pitch, monophony, level.

    Measures usable minutes and windows, skipped files by reason, sample rates and channels, the
    pitch range and histogram (CREPE), the share of confidently pitched frames, how monophonic and
    how percussive the material is, loudness range, clipping, silence, DC offset and float audio
    beyond +-1, then gives a verdict with advice. Writes ``check.json`` and ``check.png`` (one page
    to read at a glance) to `out`.

    Args:
        folder: the recordings (any rate, mono or stereo; wav/flac/ogg/mp3, searched recursively).
        out: where the report and figure go (default: ``outputs/inspect/FOLDER-NAME``).
        crepe_model: CREPE that tracks pitch (tiny is quick; full is the paper's).
        sample_rate: the rate of the model you will train (files recorded below it are flagged).
    """
    from ddsp_repro.data.check import check_recordings, plot_check

    out = out or Path("outputs/inspect") / folder.resolve().name
    report = check_recordings(folder, crepe_model=crepe_model, progress=True, sample_rate=sample_rate)
    report.save(out / "check.json")
    plot_check(report, out / "check.png")
    print("\n".join(report.lines()))
    print(f"report: {out / 'check.json'}  figure: {out / 'check.png'}")


def prepare(
    src: Positional[Path],
    out: Positional[Path],
    workers: int = os.cpu_count() or 1,
    shard_size: int = 32,
    crepe_model: Literal["full", "tiny"] = "full",
    split: Literal["train", "valid", "test"] = "train",
    subset: Literal["auto", "gansynth", "acoustic", "all"] = "auto",
    splits_csv: Path | None = None,
    valid_fraction: float = 0.0,
    pcm_scale: Literal["full", "v0.0.6"] = "full",
    limit: int | None = None,
    overwrite: bool = False,
    sample_rate: int = 16000,
) -> None:
    """Compute features (CREPE f0 and confidence, loudness) of NSynth or of your own recordings.

    `src` is an NSynth download (``nsynth-{split}/examples.json`` + ``audio/``) or any folder of
    wav/flac/ogg/mp3 files (any rate, mono or stereo: cut into 4 s windows with a 1 s hop). The
    output is resumable (a killed run continues) and refuses to mix settings.

    Args:
        src: the NSynth folder or the folder of recordings.
        out: the feature folder to write.
        workers: processes computing features.
        shard_size: examples per shard file.
        crepe_model: CREPE of the f0 features (the paper: full).
        split: NSynth: the split read.
        subset: NSynth: ``gansynth`` = the TFDS gansynth_subset re-split (needs gansynth_splits.csv),
            ``acoustic`` = acoustic notes of MIDI 24-84 within `split`, ``all``; ``auto`` =
            gansynth when the splits list is beside the data, else acoustic.
        splits_csv: NSynth: path of (nsynth-)gansynth_splits.csv.
        valid_fraction: recordings: share of files held out for validation.
        pcm_scale: recordings: ``v0.0.6`` divides integer PCM by 2^16 (16-bit), as the official
            v0.0.6 preparation did, so the audio peaks at +-0.5.
        limit: only the first N examples.
        overwrite: recompute a folder made with other settings.
        sample_rate: Hz of the model the features are for: the audio is read at this rate (no
            detour through 16 kHz) and f0 and loudness are put on its frame grid (hop
            ``round(rate / 250)``; other rates than 16 kHz use the "centered" alignment).
    """
    from ddsp_repro.data.prepare import FeatureSettings, resolve_subset
    from ddsp_repro.data.prepare import prepare as prepare_features

    subset = resolve_subset(src, subset, split, splits_csv)
    settings = FeatureSettings.at_rate(
        sample_rate,
        crepe_model=crepe_model,
        split=split,
        subset=subset,
        splits_csv=str(splits_csv) if splits_csv else None,
        valid_fraction=valid_fraction,
        pcm_scale=pcm_scale,
    )
    summary = prepare_features(
        src, out, settings, workers=workers, shard_size=shard_size, overwrite=overwrite, limit=limit
    )
    skipped = sum(len(v) for v in summary["skipped_at_scan"].values())
    print(
        f"{summary['examples']} examples in {out} ({summary['skipped_unreadable']} unreadable skipped; "
        f"{skipped} files skipped while scanning)"
    )


def import_magenta(checkpoint: Positional[str], out: Path, preset: str | None = None) -> None:
    """Convert an official magenta/ddsp TensorFlow checkpoint into a ddsp-repro checkpoint.

    Reading the TF checkpoint needs TensorFlow (the ``tfds`` extra). Every official variable must
    find its place and every weight here must be filled: anything else is an error naming it.

    Args:
        checkpoint: the checkpoint folder (with operative_config-*.gin) or a model.ckpt-N prefix.
        out: the ddsp-repro checkpoint to write.
        preset: the preset whose training settings the checkpoint gets (default: guessed).
    """
    from ddsp_repro.interop.magenta import convert

    print(f"wrote {convert(checkpoint, out, preset)}")

"""NSynth through tensorflow-datasets: ``nsynth/gansynth_subset.f0_and_loudness``.

The config the official code reads: audio with CREPE f0 (Hz, confidence) and paper-era loudness at
250 Hz, already computed. TensorFlow is an optional extra (``pip install -e '.[tfds]'``) imported
only here. Nothing is downloaded implicitly: the data must be prepared in `data_dir` first
(`tfds build`, a 73.08 GiB download and an Apache Beam preparation; 22.03 GiB prepared). Versions:
2.3.0 is closest to the paper (its f0 carries the crepe 0.0.10 normalisation bug), 2.3.3 has the
recomputed f0; whichever is used is recorded in `TfdsNSynth.metadata`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import IterableDataset

__all__ = ["TFDS_NAME", "TfdsNSynth", "stream_shard"]

TFDS_NAME = "nsynth/gansynth_subset.f0_and_loudness"
_HOW_TO_PREPARE = (
    "TFDS NSynth is not prepared in {data_dir}. Prepare it with\n"
    "  pip install -e '.[tfds]' apache-beam && tfds build {name} --data_dir={data_dir}\n"
    "(downloads 73.08 GiB of NSynth tfrecords and runs an Apache Beam pipeline; 22.03 GiB when prepared),\n"
    "or use the raw json/wav release with `python -m ddsp_repro.data.prepare`."
)


def stream_shard() -> tuple[int, int]:
    """(index, count) of this reader among all DDP processes and their DataLoader workers.

    An iterable source is read by every process (and every worker of each process); each must
    take a disjoint share, or N GPUs train on one GPU's data N times. Reader ``k`` of ``n`` takes
    examples ``k, k + n, k + 2n, ...``, so the shares together are the one-process stream.
    """
    import torch.distributed as dist
    from torch.utils.data import get_worker_info

    rank, world = (
        (dist.get_rank(), dist.get_world_size()) if dist.is_available() and dist.is_initialized() else (0, 1)
    )
    info = get_worker_info()
    worker, n_workers = (info.id, info.num_workers) if info is not None else (0, 1)
    return rank * n_workers + worker, world * n_workers


class TfdsNSynth(IterableDataset):
    """Examples of one TFDS NSynth split in ddsp-repro's batch format.

    Under DDP (and with DataLoader workers) each reader yields its own share (`stream_shard`).
    Yields dicts with ``audio [64000]``, ``f0_hz``, ``f0_confidence``, ``loudness_db`` ``[1000]``
    (float32 tensors) and ``pitch``, ``velocity`` (int), ``instrument``, ``family`` (str).
    """

    def __init__(
        self,
        split: str = "train",
        data_dir: str | Path | None = None,
        version: str | None = None,
        shuffle_files: bool = False,
        seed: int = 0,
    ) -> None:
        try:
            import tensorflow_datasets as tfds
        except ImportError as exc:
            raise ImportError("TFDS NSynth needs the tfds extra: pip install -e '.[tfds]'") from exc
        name = f"{TFDS_NAME}:{version}" if version else TFDS_NAME
        self.split, self.seed, self.shuffle_files = split, seed, shuffle_files
        data_dir = str(data_dir) if data_dir is not None else None
        try:
            builder = tfds.builder(name, data_dir=data_dir)
            info = builder.info
            self._dataset = tfds.load(
                name,
                split=split,
                data_dir=data_dir,
                download=False,
                shuffle_files=shuffle_files,
                read_config=tfds.ReadConfig(shuffle_seed=seed),
            )
        except (AssertionError, FileNotFoundError, tfds.core.registered.DatasetNotFoundError) as exc:
            raise FileNotFoundError(
                _HOW_TO_PREPARE.format(data_dir=data_dir or "~/tensorflow_datasets", name=TFDS_NAME)
            ) from exc
        self._family = info.features["instrument"]["family"]
        self._label = info.features["instrument"]["label"]
        self.metadata = {
            "source": "tfds",
            "name": TFDS_NAME,
            "version": str(builder.version),
            "data_dir": data_dir,
            "split": split,
        }

    def __iter__(self):
        import tensorflow_datasets as tfds

        index, count = stream_shard()
        dataset = self._dataset.shard(count, index) if count > 1 else self._dataset
        for ex in tfds.as_numpy(dataset):
            yield {
                "audio": torch.from_numpy(np.asarray(ex["audio"], dtype=np.float32)),
                "f0_hz": torch.from_numpy(np.asarray(ex["f0"]["hz"], dtype=np.float32)),
                "f0_confidence": torch.from_numpy(
                    np.nan_to_num(np.asarray(ex["f0"]["confidence"], np.float32))
                ),
                "loudness_db": torch.from_numpy(np.asarray(ex["loudness"]["db"], dtype=np.float32)),
                "pitch": int(ex["pitch"]),
                "velocity": int(ex["velocity"]),
                "instrument": self._label.int2str(int(ex["instrument"]["label"])),
                "family": self._family.int2str(int(ex["instrument"]["family"])),
            }

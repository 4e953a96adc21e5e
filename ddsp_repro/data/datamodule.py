"""One LightningDataModule for every prepared source, with one batch format.

Each batch is a dict: ``audio [batch, 64000]``, ``f0_hz``, ``f0_confidence`` and ``loudness_db``
``[batch, 1000]`` (float32), plus the labels a source has (``pitch``, ``velocity``, ``instrument``,
``family`` for NSynth-format sources). Sources are folders written by
`python -m ddsp_repro.data.prepare` (raw NSynth, the built-in set, your recordings), or TFDS NSynth
(`DDSPDataModule.from_tfds`). Shuffling is
seeded, and each loader worker gets its own derived seed, so a run is reproducible.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset

from ddsp_repro.data.prepare import load_prepared

try:
    import lightning as L
except ImportError:  # pragma: no cover - the `train` extra is not installed
    L = None

__all__ = ["FEATURE_KEYS", "DDSPDataModule", "PreparedDataset", "collate"]

FEATURE_KEYS = ("audio", "f0_hz", "f0_confidence", "loudness_db")
LABEL_KEYS = ("pitch", "velocity", "instrument", "family")


class PreparedDataset(Dataset):
    """Examples of a prepared folder, optionally one split of it (recordings hold train/valid)."""

    def __init__(self, folder: str | Path, split: str | None = None) -> None:
        data = load_prepared(folder)
        if split is not None and "split" in data:
            keep = data["split"] == split
            data = {k: v[keep] for k, v in data.items()}
        elif split not in (None, "train"):
            raise ValueError(f"{folder} has no {split!r} split (prepare another folder for it)")
        if len(data.get("ids", [])) == 0:
            raise ValueError(f"{folder} has no examples" + (f" in split {split!r}" if split else ""))
        self.features = {
            k: torch.from_numpy(np.ascontiguousarray(data[k], dtype=np.float32)) for k in FEATURE_KEYS
        }
        for key in FEATURE_KEYS[1:]:
            if not torch.isfinite(self.features[key]).all():
                raise ValueError(f"{folder}: non-finite values in {key}")
        self.labels = {k: data[k] for k in LABEL_KEYS if k in data}
        self.ids = data["ids"]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> dict:
        item = {k: v[index] for k, v in self.features.items()}
        for key, values in self.labels.items():
            value = values[index]
            item[key] = int(value) if np.issubdtype(values.dtype, np.integer) else str(value)
        return item


def collate(items: list[dict]) -> dict:
    """Stack tensors, keep integer labels as tensors and string labels as lists."""
    batch = {}
    for key in items[0]:
        values = [item[key] for item in items]
        if isinstance(values[0], torch.Tensor):
            batch[key] = torch.stack(values)
        elif isinstance(values[0], int):
            batch[key] = torch.tensor(values)
        else:
            batch[key] = values
    return batch


def _seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)


_Base = L.LightningDataModule if L is not None else object


class DDSPDataModule(_Base):
    """Train/validation loaders over prepared folders.

    Args:
        train_dir: a prepared folder (its "train" split if it has splits).
        val_dir: a prepared folder for validation; if omitted, the "valid" split of `train_dir`
            (recordings prepared with ``--valid-fraction``), else no validation.
        batch_size, num_workers: loader settings.
        seed: shuffling seed.
    """

    def __init__(
        self,
        train_dir: str | Path | None = None,
        val_dir: str | Path | None = None,
        batch_size: int = 16,
        num_workers: int = 0,
        seed: int = 0,
        train_set: Dataset | None = None,
        val_set: Dataset | None = None,
    ) -> None:
        if L is None:
            raise ImportError("DDSPDataModule needs Lightning: pip install -e '.[train]'")
        if train_dir is None and train_set is None:
            raise ValueError("give a prepared train_dir or a train_set")
        super().__init__()
        self.train_dir = Path(train_dir) if train_dir is not None else None
        self.val_dir = Path(val_dir) if val_dir else None
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        self.train_set, self.val_set = train_set, val_set

    @classmethod
    def from_tfds(
        cls,
        data_dir: str | Path | None = None,
        version: str | None = None,
        batch_size: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> DDSPDataModule:
        """TFDS ``nsynth/gansynth_subset.f0_and_loudness``: its train split, validated on "valid"."""
        from ddsp_repro.data.tfds_nsynth import TfdsNSynth

        train = TfdsNSynth("train", data_dir, version, shuffle_files=True, seed=seed)
        val = TfdsNSynth("valid", data_dir, version)
        return cls(batch_size=batch_size, num_workers=num_workers, seed=seed, train_set=train, val_set=val)

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            self.train_set = PreparedDataset(self.train_dir, split="train")
        if self.val_set is None and self.train_dir is not None:
            if self.val_dir is not None:
                self.val_set = PreparedDataset(self.val_dir, split=None)
            else:
                try:
                    self.val_set = PreparedDataset(self.train_dir, split="valid")
                except ValueError:
                    self.val_set = None

    def _loader(self, dataset: Dataset, shuffle: bool) -> DataLoader:
        if isinstance(dataset, IterableDataset):  # shuffles itself (TFDS: seeded file shuffling)
            return DataLoader(dataset, batch_size=self.batch_size, collate_fn=collate)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            collate_fn=collate,
            generator=torch.Generator().manual_seed(self.seed),
            worker_init_fn=_seed_worker,
            drop_last=shuffle and len(dataset) >= self.batch_size,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        self.setup()
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self) -> DataLoader | list:
        self.setup()
        return self._loader(self.val_set, shuffle=False) if self.val_set is not None else []

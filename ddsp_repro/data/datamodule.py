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
from torch.utils.data import DataLoader, Dataset, IterableDataset, Sampler

from ddsp_repro.data.prepare import load_prepared

try:
    import lightning as L
except ImportError:  # pragma: no cover - the `train` extra is not installed
    L = None

__all__ = ["FEATURE_KEYS", "DDSPDataModule", "PreparedDataset", "StepBatchSampler", "collate"]

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
        item["id"] = str(self.ids[index])  # named when a batch goes wrong (a non-finite loss)
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


class StepBatchSampler(Sampler[list[int]]):
    """Batches for step-based training: epoch ``e`` is batches ``e * steps .. (e + 1) * steps - 1``
    of one endless, seeded stream of shuffled passes over the data.

    What a batch holds depends only on (seed, epoch, position), never on what was drawn before,
    so a resumed run sees exactly the batches an uninterrupted run would: at an epoch boundary,
    or mid-epoch (a preempted run) with `skip` set to the batches of the epoch already trained.
    With ``world_size > 1`` each rank takes every ``world_size``-th batch of a stream that is
    ``world_size`` times longer (each rank gets `batch_size` examples per step).
    """

    def __init__(
        self, n_examples: int, batch_size: int, steps: int, seed: int = 0, rank: int = 0, world_size: int = 1
    ) -> None:
        if n_examples < 1:
            raise ValueError("no examples to sample from")
        self.n, self.batch_size, self.steps = n_examples, batch_size, steps
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.epoch = 0
        self.skip = 0  # batches of the current epoch already trained (a run resumed mid-epoch)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _order(self, cycle: int) -> torch.Tensor:
        return torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed * 100_003 + cycle))

    def __iter__(self):
        per_step = self.batch_size * self.world_size
        orders: dict[int, torch.Tensor] = {}
        start, self.skip = self.skip, 0  # the next epoch starts at its beginning
        for step in range(start, self.steps):
            first = (self.epoch * self.steps + step) * per_step + self.rank * self.batch_size
            batch = []
            for position in range(first, first + self.batch_size):
                cycle, offset = divmod(position, self.n)
                if cycle not in orders:  # positions only grow: keep the current pass only
                    orders = {cycle: self._order(cycle)}
                batch.append(int(orders[cycle][offset]))
            yield batch

    def __len__(self) -> int:
        return self.steps


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
        steps_per_epoch: if set, an "epoch" is this many batches of a seeded endless stream
            (`StepBatchSampler`; what step-based training and exact resumption need), and under
            DDP each process takes its own share of it.
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
        steps_per_epoch: int | None = None,
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
        self.steps_per_epoch = steps_per_epoch
        self.resume_batch = 0  # set by `train` when it resumes mid-epoch: batches to skip once

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

    def _rank_and_world(self) -> tuple[int, int]:
        trainer = getattr(self, "trainer", None)
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def train_dataloader(self) -> DataLoader:
        self.setup()
        if self.steps_per_epoch is None or isinstance(self.train_set, IterableDataset):
            return self._loader(self.train_set, shuffle=True)
        rank, world = self._rank_and_world()
        sampler = StepBatchSampler(
            len(self.train_set), self.batch_size, self.steps_per_epoch, self.seed, rank, world
        )
        sampler.skip, self.resume_batch = self.resume_batch, 0
        return DataLoader(
            self.train_set,
            batch_sampler=sampler,
            num_workers=self.num_workers,
            collate_fn=collate,
            worker_init_fn=_seed_worker,
            persistent_workers=self.num_workers > 0,
        )

    def val_dataloader(self) -> DataLoader | list:
        self.setup()
        return self._loader(self.val_set, shuffle=False) if self.val_set is not None else []

"""Each fault of a training run, injected: the message names the file or value; what was written survives."""

import errno
import logging
import os
import shutil
import signal
import subprocess
from pathlib import Path

import lightning as L
import pytest
import torch

from ddsp_repro.audio import StorageError
from ddsp_repro.training.faults import PREEMPTED_EXIT, NonFiniteLoss, Preempted
from ddsp_repro.training.presets import PRESETS
from ddsp_repro.training.train import run_dir_for, train, with_overrides
from tests.helpers.runs import shrink

PRESET = PRESETS["tiny_violin"]


def _config(tones, runs, **trainer):
    return shrink(PRESET, tones, runs, **{"max_steps": 6, "val_every_steps": 2, **trainer})


def _weights(path: Path) -> tuple[dict, int]:
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    return checkpoint["state_dict"], checkpoint["global_step"]


def _assert_same_weights(a: Path, b: Path) -> None:
    (wa, step_a), (wb, step_b) = _weights(a), _weights(b)
    assert step_a == step_b
    for key, value in wa.items():
        assert torch.equal(value, wb[key]), key


@pytest.fixture(scope="module")
def straight(tones, tmp_path_factory):
    """The uninterrupted run: 6 steps, a validation and a checkpoint every 2; 6 steps of 3 per epoch."""
    runs = tmp_path_factory.mktemp("straight")
    train(_config(tones, runs))
    (run,) = runs.iterdir()
    return run


def test_the_last_k_checkpoints_are_kept(straight):
    names = sorted(p.name for p in (straight / "checkpoints").glob("*.ckpt"))
    assert names == ["best.ckpt", "last.ckpt", "step=4.ckpt", "step=6.ckpt"]


def test_resume_sets_aside_unreadable_checkpoints_and_continues_exactly(straight, tones, tmp_path, caplog):
    config = _config(tones, tmp_path)
    train(config)
    folder = run_dir_for(config) / "checkpoints"
    last = folder / "last.ckpt"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])  # a crash during a copy
    (folder / "step=6.ckpt").write_bytes(b"")  # a power cut after an un-flushed rename
    with caplog.at_level(logging.WARNING, logger="ddsp_repro"):
        train(config, resume=True)
    text = caplog.text
    assert "last.ckpt cannot be read: truncated" in text and "step=6.ckpt cannot be read: empty" in text
    assert "resuming from step=4.ckpt at step 4" in text and "2 steps before step 6" in text
    assert (folder / "last.ckpt.unreadable").is_file() and (folder / "step=6.ckpt.unreadable").is_file()
    assert sorted(p.name for p in folder.glob("*.ckpt")) == [
        "best.ckpt",
        "last.ckpt",
        "step=4.ckpt",
        "step=6.ckpt",
    ]
    _assert_same_weights(straight / "checkpoints" / "last.ckpt", last)


def test_a_finished_run_with_an_empty_last_checkpoint_gets_it_back(tones, tmp_path, caplog):
    config = _config(tones, tmp_path, max_steps=4)
    train(config)
    last = run_dir_for(config) / "checkpoints" / "last.ckpt"
    last.write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="ddsp_repro"):
        train(config, resume=True)
    assert "resuming from step=4.ckpt at step 4 (skipped unreadable last.ckpt; no steps lost)" in caplog.text
    assert _weights(last)[1] == 4  # evaluation and packaging find last.ckpt as before


def test_a_checkpoint_of_another_preset_is_named(tones, tmp_path):
    config = _config(tones, tmp_path, max_steps=2)
    train(config)
    other = shrink(PRESETS["solo_violin"], tones, tmp_path / "other")
    train(other)
    last = run_dir_for(config) / "checkpoints" / "last.ckpt"
    for path in last.parent.glob("*.ckpt"):
        path.unlink()
    (run_dir_for(other) / "checkpoints" / "last.ckpt").replace(last)
    with pytest.raises(ValueError, match=r"last.ckpt holds a model of 'solo_violin'.*--overwrite"):
        train(config, resume=True)


class _Signal(L.Callback):
    """Sends the process `signum` after training batch `at` (0-based), as a scheduler would."""

    def __init__(self, signum: int, at: int) -> None:
        self.signum, self.at = signum, at

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step == self.at + 1:
            os.kill(os.getpid(), self.signum)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGUSR1])
def test_preemption_saves_the_current_step_and_resume_loses_nothing(straight, tones, tmp_path, signum):
    config = _config(tones, tmp_path)
    with pytest.raises(Preempted, match="at step 3.*--resume") as info:
        train(config, callbacks=[_Signal(signum, at=2)])  # mid-epoch: the 1st step of the 2nd epoch
    assert info.value.exit_status == PREEMPTED_EXIT
    last = run_dir_for(config) / "checkpoints" / "last.ckpt"
    assert _weights(last)[1] == 3
    assert signal.getsignal(signal.SIGUSR1) is not None  # the handler is put back
    train(config, resume=True)
    _assert_same_weights(straight / "checkpoints" / "last.ckpt", last)


def test_the_command_exits_with_the_requeue_status():
    from ddsp_repro.cli import _run_guarded

    def preempted():
        raise Preempted("stopped by a signal at step 3")

    with pytest.raises(SystemExit) as info:
        _run_guarded(preempted)
    assert info.value.code == PREEMPTED_EXIT == 75


def _poison_step(monkeypatch, step: int) -> None:
    """The training loss of step `step` (1-based) becomes NaN."""
    from ddsp_repro.training.module import DDSPModule

    losses = DDSPModule.losses

    def poisoned(self, batch, generator):
        out = losses(self, batch, generator)
        if self.training and self.global_step + 1 == step:
            out = {**out, "loss": out["loss"] * float("nan")}
        return out

    monkeypatch.setattr(DDSPModule, "losses", poisoned)


def test_a_nan_loss_stops_with_the_step_and_batch_and_keeps_the_last_good_checkpoint(
    tones, tmp_path, monkeypatch
):
    _poison_step(monkeypatch, 3)
    config = _config(tones, tmp_path)
    with pytest.raises(
        NonFiniteLoss, match=r"loss is nan at step 3 \(batch: \S+.*--trainer.on-nonfinite skip"
    ):
        train(config)
    last = run_dir_for(config) / "checkpoints" / "last.ckpt"
    weights, step = _weights(last)
    assert step == 2 and all(torch.isfinite(v).all() for v in weights.values())


def test_a_nan_loss_can_be_skipped(tones, tmp_path, monkeypatch, caplog):
    _poison_step(monkeypatch, 3)
    config = with_overrides(_config(tones, tmp_path), trainer={"on_nonfinite": "skip"})
    with caplog.at_level(logging.WARNING, logger="ddsp_repro"):
        metrics = train(config)
    assert "step skipped" in caplog.text and metrics["step"] == 6  # the step counts, without an update
    weights, _ = _weights(run_dir_for(config) / "checkpoints" / "last.ckpt")
    assert all(torch.isfinite(v).all() for v in weights.values())


def test_a_full_disk_names_the_file_and_keeps_the_previous_checkpoint(tones, tmp_path, monkeypatch):
    from ddsp_repro import audio
    from ddsp_repro.training import train as train_module

    saved = []
    real_save = torch.save

    def save(obj, path, *args, **kwargs):
        if saved:  # the first checkpoint fits; the disk is full from then on
            Path(path).write_bytes(b"x" * 100)
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534")
        saved.append(path)
        real_save(obj, path, *args, **kwargs)

    monkeypatch.setattr(train_module.torch, "save", save)
    usage = audio.shutil.disk_usage(tmp_path)
    monkeypatch.setattr(audio.shutil, "disk_usage", lambda _: usage._replace(free=4096))
    config = _config(tones, tmp_path)
    with pytest.raises(StorageError, match=r"could not write \S+\.ckpt: the disk .* is full.*--resume"):
        train(config)
    folder = run_dir_for(config) / "checkpoints"
    assert _weights(folder / "best.ckpt")[1] == 2  # the one written before the disk filled
    assert not list(folder.glob(".*.partial"))


def test_a_full_disk_for_other_files_is_named(tmp_path, monkeypatch):
    from ddsp_repro.audio import write_json_atomic

    target = tmp_path / "metrics.json"
    write_json_atomic(target, {"kept": True})

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(StorageError, match=r"could not write \S+metrics.json: the disk"):
        write_json_atomic(target, {"kept": False})
    monkeypatch.undo()
    assert target.read_text().strip() == '{"kept": true}'


def _read_only_folder(path: Path, monkeypatch) -> bool:
    """Make `path` a read-only folder: a read-only tmpfs where it can be mounted (root writes through
    permission bits), else writes under it fail as the kernel would fail them. True if mounted."""
    path.mkdir()
    if os.geteuid() == 0:
        mounted = (
            shutil.which("mount") is not None
            and subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)], capture_output=True
            ).returncode
            == 0
        )
        if mounted:
            return True
        write_text = Path.write_text

        def read_only(self, *args, **kwargs):
            if str(self).startswith(str(path)):
                raise OSError(errno.EROFS, "Read-only file system", str(self))
            return write_text(self, *args, **kwargs)

        monkeypatch.setattr(Path, "write_text", read_only)
    else:
        path.chmod(0o555)
    return False


def test_a_read_only_runs_folder_is_refused_before_training(tones, tmp_path, monkeypatch):
    runs = tmp_path / "ro"
    mounted = _read_only_folder(runs, monkeypatch)
    try:
        with pytest.raises(StorageError, match=r"read-only or not yours.*--logging.runs-dir"):
            train(_config(tones, runs))
    finally:
        if mounted:
            subprocess.run(["umount", str(runs)])


def test_a_runs_folder_that_cannot_exist_is_named(tones, tmp_path):
    (tmp_path / "a_file").write_text("")
    with pytest.raises(StorageError, match=r"could not create the folder .*a_file"):
        train(_config(tones, tmp_path / "a_file" / "runs"))


def test_out_of_memory_names_the_batch_size(tones, tmp_path, monkeypatch):
    from ddsp_repro.training.module import DDSPModule

    def oom(self, batch, batch_idx):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(DDSPModule, "training_step", oom)
    with pytest.raises(
        RuntimeError, match=r"out of memory on cpu with data.batch_size 2.*--data.batch-size 1"
    ):
        train(_config(tones, tmp_path))

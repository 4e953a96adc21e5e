"""The one command line: every command listed and typed, aliases, one-line errors."""

import importlib
import subprocess
import sys

import pytest

from ddsp_repro.cli import commands, main
from tests.helpers import REPO


def _run(*args, timeout=120):
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    listing = capsys.readouterr().out
    expected = {"train", "eval", "prepare", "build-data", "transfer", "control", "rooms", "demo-page",
                "sweep", "results", "benchmark"}  # fmt: skip
    assert expected <= set(commands())
    for name in commands():
        assert f"• {name}" in listing, name


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_has_typed_help(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert f"ddsp-repro {name}" in out and "(default:" in out or name == "presets"


def test_train_takes_overrides_after_the_preset(monkeypatch):
    seen = {}
    module = importlib.import_module("ddsp_repro.training.train")
    monkeypatch.setattr(module, "train", lambda config, **kw: seen.update(config=config, **kw))
    with pytest.raises(TypeError):  # the stub returns None; the command stops at reading its metrics
        main(["train", "tiny_violin_cpu", "--optim.lr", "1e-3", "--resume"], raise_errors=True)
    assert seen["config"].name == "tiny_violin_cpu" and seen["config"].optim.lr == 1e-3 and seen["resume"]


def test_expected_failures_are_one_line_and_exit_2(tmp_path):
    result = _run("-m", "ddsp_repro.cli", "eval", "--checkpoint", str(tmp_path / "missing.ckpt"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: no checkpoint at {tmp_path / 'missing.ckpt'}"]


ALIASES = ["experiments.run", "evals.run", "evals.make_results", "evals.regression", "sweeps.run",
           "benchmarks.run", "experiments.transfer", "ddsp_repro.data.prepare",
           "ddsp_repro.interop.magenta"]  # fmt: skip


@pytest.mark.parametrize("alias", ALIASES)
def test_python_m_aliases_still_answer(alias):
    result = _run("-m", alias, "--help")
    assert result.returncode == 0, result.stderr[-1500:]
    assert "usage:" in result.stdout

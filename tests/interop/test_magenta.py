"""`ddsp_repro.interop.magenta`: official TF checkpoints into ddsp-repro, with named errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ddsp_repro.interop.magenta import config_from_gin, state_dict_from_variables

FIXTURES = Path(__file__).parents[1] / "fixtures"
REPO = Path(__file__).resolve().parents[2]


def _variables(name: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"official_training_{name}.npz") as data:
        return {k[len("weight/") :]: data[k] for k in data.files if k.startswith("weight/")}


def test_config_from_the_operative_gin():
    gin = (FIXTURES / "official_ckpt_tiny" / "operative_config-0.gin").read_text()
    config = config_from_gin(gin)
    assert (config.layers_per_stack, config.rnn_channels, config.n_harmonics) == (0, 256, 60)
    assert config.reverb and config.reverb_length == 48000 and config.z_dims is None


def test_unknown_variables_are_named_not_dropped():
    variables = _variables("solo") | {"rnn_fc_decoder/extra_layer/kernel": np.zeros(3, np.float32)}
    with pytest.raises(KeyError, match="extra_layer"):
        state_dict_from_variables(variables)


def test_optimizer_state_is_skipped():
    variables = _variables("solo")
    noisy = variables | {"global_step": np.array(20), "beta1_power": np.array(0.9, np.float32)}
    noisy |= {f"{k}/Adam": v for k, v in variables.items()}
    a, _, _ = state_dict_from_variables(variables)
    b, _, _ = state_dict_from_variables(noisy)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_cli_writes_a_checkpoint_every_tool_loads(tmp_path):
    pytest.importorskip("tensorflow")
    from ddsp_repro.training.module import load_checkpoint

    out, cli = tmp_path / "tiny.ckpt", [sys.executable, "-m", "ddsp_repro.interop.magenta"]
    result = subprocess.run(
        [*cli, str(FIXTURES / "official_ckpt_tiny"), "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    module, _ = load_checkpoint(out)
    assert module.config.name == "tiny_violin_magenta" and module.model.config.gru_cell == "v1"
    missing = subprocess.run(
        [*cli, str(tmp_path / "nothing"), "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert missing.returncode == 2 and "no TF checkpoint" in missing.stderr

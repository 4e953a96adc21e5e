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


def test_a_tf2_keras_gru_loads_into_the_v2_cell():
    """Later releases' GRU (reset_after, bias [2, 3H]) against the Keras equations in numpy."""
    from ddsp_repro.interop.magenta import _gru
    from ddsp_repro.models.gru import GRU

    rng = np.random.default_rng(0)
    n_in, hidden, steps = 3, 4, 5
    kernel, recurrent = rng.normal(size=(n_in, 3 * hidden)), rng.normal(size=(hidden, 3 * hidden))
    bias = rng.normal(size=(2, 3 * hidden))
    names = {
        f"g/gru_cell/{k}": v for k, v in (("kernel", kernel), ("recurrent_kernel", recurrent), ("bias", bias))
    }
    state, cell = _gru("g", names, "gru")
    assert cell == "v2" and not names
    gru = GRU(n_in, hidden, cell="v2").double()
    gru.load_state_dict({k.removeprefix("gru."): v for k, v in state.items()})
    x = rng.normal(size=(1, steps, n_in))

    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    h, outputs = np.zeros(hidden), []
    for t in range(steps):
        xp, hp = x[0, t] @ kernel + bias[0], h @ recurrent + bias[1]  # gates z, r, h
        z = sigmoid(xp[:hidden] + hp[:hidden])
        r = sigmoid(xp[hidden : 2 * hidden] + hp[hidden : 2 * hidden])
        c = np.tanh(xp[2 * hidden :] + r * hp[2 * hidden :])
        h = z * h + (1 - z) * c
        outputs.append(h)
    np.testing.assert_allclose(gru(torch.from_numpy(x))[0].detach().numpy(), np.stack(outputs), atol=1e-12)

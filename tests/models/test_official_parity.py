"""The training layer against the official v0.0.6 code: same weights in, same numbers out.

Fixtures are written by `tools/make_official_training_fixtures.py` from the official models built
from the official gin files (see that script for the reduced sizes and what it patches). Each
holds the official initial weights; we load them through `ddsp_repro.interop.magenta` and compare
decoder outputs, synth controls, audio, losses, every gradient and a 20-step Adam trajectory.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from ddsp_repro.interop.magenta import load_autoencoder, state_dict_from_variables
from ddsp_repro.losses import MultiScaleSpectralLoss, PretrainedCREPEEmbeddingLoss
from ddsp_repro.models.autoencoder import Autoencoder, AutoencoderConfig
from ddsp_repro.training.optim import TFAdam, clip_by_global_norm

FIXTURES = Path(__file__).parents[1] / "fixtures"
MODELS = ("supervised", "unsupervised", "solo", "tiny")


def _open(reason: str):
    return pytest.mark.xfail(strict=True, reason=reason)


# Open discrepancies (issue #13), kept as strict xfails so that a fix shows up as XPASS. Forward
# outputs, losses and checkpoint loading agree for all four models; gradients agree within 1e-3
# of the largest only for the solo model. Measured: our float32 gradients differ from our float64
# ones by ~1.4% (max-abs) at the synth inputs of the supervised model, the official float32 ones
# by ~7%, so part of the gap is float32 sensitivity of the L1 spectral loss; the tiny model's
# reverb gradient (81%) and the unsupervised ResNet's are not explained by that and are open.
_GRADIENTS_OPEN = {
    "supervised": "gradients 2-20% off the official float32 ones (max-abs per tensor)",
    "unsupervised": "f0-encoder ResNet gradients disagree",
    "tiny": "reverb IR and GRU gradients 30-80% off",
}
GRADIENT_CASES = [
    pytest.param(m, marks=_open(_GRADIENTS_OPEN[m])) if m in _GRADIENTS_OPEN else m for m in MODELS
]
TRAJECTORY_CASES = [
    pytest.param(m, marks=_open("20-step losses within 0.2% (supervised) to 2% (unsupervised), not 0.1%"))
    for m in MODELS
]


@functools.cache
def fixture(name: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"official_training_{name}.npz") as data:
        return {k: data[k] for k in data.files}


def noise(name: str, evaluation: int) -> torch.Tensor:
    d = fixture(name)
    shape = d["input_audio"].shape
    rng = np.random.default_rng(int(d["noise_seed"]) + evaluation)
    return torch.from_numpy(rng.uniform(-1, 1, shape).astype(np.float32))


def variables(d: dict, prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix) :]: v for k, v in d.items() if k.startswith(prefix)}


def build(name: str):
    """The ddsp-repro model and losses holding the official initial weights."""
    d = fixture(name)
    state, cell, crepe_state = state_dict_from_variables(variables(d, "weight/"))
    model = Autoencoder(replace(AutoencoderConfig(**json.loads(str(d["config"]))), gru_cell=cell))
    model.load_state_dict(state)
    crepe_loss = None
    if crepe_state:
        crepe_loss = PretrainedCREPEEmbeddingLoss(0.1, trainable=True)
        missing, unexpected = crepe_loss.load_state_dict(crepe_state, strict=False)
        assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing)
    return model, MultiScaleSpectralLoss(), crepe_loss


def run(name: str, model, spectral, crepe_loss, evaluation: int = 0):
    d = fixture(name)
    batch = {k: torch.from_numpy(d[f"input_{k}"]) for k in ("audio", "f0_hz", "loudness_db")}
    raw = {}
    hook = model.decoder.register_forward_hook(lambda _m, _i, out: raw.update(out))
    f0 = None if model.config.f0_encoder else batch["f0_hz"]
    out = model(batch["audio"], f0, batch["loudness_db"], noise=noise(name, evaluation))
    hook.remove()
    losses = {"spectral_loss": spectral(out["audio"], batch["audio"])}
    if crepe_loss is not None:
        losses["crepe"] = crepe_loss(out["audio"], batch["audio"])
    return out, raw, losses


@pytest.mark.parametrize("name", MODELS)
def test_outputs_controls_audio_and_loss_match(name):
    torch.manual_seed(0)
    d = fixture(name)
    model, spectral, crepe_loss = build(name)
    with torch.no_grad():
        out, raw, losses = run(name, model, spectral, crepe_loss)
    pairs = {
        "amps": raw["amps"],
        "harmonic_distribution_raw": raw["harmonic_distribution"],
        "noise_magnitudes_raw": raw["noise_magnitudes"],
        "amplitudes": out["amplitudes"],
        "harmonic_distribution": out["harmonic_distribution"],
        "magnitudes": out["magnitudes"],
        "noise": out["noise"],
    }
    if "out_z" in d:
        pairs["z"] = out["z"]
    for key, ours in pairs.items():
        np.testing.assert_allclose(ours.numpy(), d[f"out_{key}"], atol=1e-4, rtol=0, err_msg=key)
    # f0 in Hz: learned by the unsupervised model, so compared relative to its size.
    np.testing.assert_allclose(out["f0_hz"].numpy(), d["out_synth_f0_hz"], rtol=1e-4, atol=1e-3)
    # Audio: within the official code's own float32 phase error (its plain cumsum against exact).
    official_error = np.abs(d["out_audio_official"] - d["out_audio"]).max()
    ours_error = np.abs(out["audio"].numpy() - d["out_audio"]).max()
    assert ours_error <= max(official_error, 1e-5), (ours_error, official_error)
    for key, value in losses.items():
        np.testing.assert_allclose(value.item(), d[f"out_loss_{key}"], rtol=1e-4, err_msg=key)


@pytest.mark.parametrize("name", GRADIENT_CASES)
def test_every_gradient_matches(name):
    d = fixture(name)
    model, spectral, crepe_loss = build(name)
    _, _, losses = run(name, model, spectral, crepe_loss)
    sum(losses.values()).backward()
    weights = variables(d, "weight/")
    official = {k: np.zeros_like(v) for k, v in weights.items()} | variables(d, "grad/")
    expected, _, expected_crepe = state_dict_from_variables(official)
    params = dict(model.named_parameters())
    if crepe_loss is not None:
        params |= {f"crepe.{k}": p for k, p in crepe_loss.crepe.named_parameters()}
        expected |= expected_crepe
    assert set(params) <= set(expected)
    for key, param in params.items():
        ours = param.grad if param.grad is not None else torch.zeros_like(param)
        want = expected[key]
        scale = want.abs().max().item()
        error = (ours - want).abs().max().item()
        assert error <= 1e-3 * scale + 1e-12, f"{key}: max error {error:.3g}, largest gradient {scale:.3g}"


@pytest.mark.parametrize("name", TRAJECTORY_CASES)
def test_twenty_adam_steps_follow_the_official_losses(name):
    d = fixture(name)
    model, spectral, crepe_loss = build(name)
    params = list(model.parameters()) + (list(crepe_loss.parameters()) if crepe_loss is not None else [])
    optimizer = TFAdam(params, lr=float(d["learning_rate"]))
    trajectory = []
    for step in range(len(d["trajectory_loss"])):
        _, _, losses = run(name, model, spectral, crepe_loss, evaluation=step + 1)
        loss = sum(losses.values())
        trajectory.append(loss.item())
        if step == len(d["trajectory_loss"]) - 1:
            break
        optimizer.zero_grad()
        loss.backward()
        clip_by_global_norm(params, 3.0)
        optimizer.step()
    np.testing.assert_allclose(trajectory, d["trajectory_loss"], rtol=1e-3)


# The unsupervised model's checkpoint (9.5 MB with its optimiser slots) is not kept in the
# repository; its variable names are those of its .npz, which the tests above load.
@pytest.mark.parametrize("name", ("supervised", "solo", "tiny"))
def test_official_tf_checkpoint_renders_the_official_audio(name):
    pytest.importorskip("tensorflow")
    d = fixture(name)
    model, _ = load_autoencoder(FIXTURES / f"official_ckpt_{name}")
    batch = {k: torch.from_numpy(d[f"input_{k}"]) for k in ("audio", "f0_hz", "loudness_db")}
    f0 = None if model.config.f0_encoder else batch["f0_hz"]
    with torch.no_grad():
        audio = model(batch["audio"], f0, batch["loudness_db"], noise=noise(name, 0))["audio"].numpy()
    official_error = np.abs(d["out_audio_official"] - d["out_audio"]).max()
    assert np.abs(audio - d["out_trained_audio"]).max() <= max(official_error, 1e-5)

import dataclasses
import json
import math
from dataclasses import replace

import pytest

from ddsp_repro.models.autoencoder import Autoencoder
from ddsp_repro.models.wavernn import WaveRNN, WaveRNNConfig
from ddsp_repro.rates import without_rate_tag
from ddsp_repro.training.config import config_from_dict, config_to_dict, semantic_hash
from ddsp_repro.training.presets import LOWEST_NOTE_HZ, PRESETS, get_preset
from ddsp_repro.training.train import with_overrides

# Trainable parameters by preset family: (expected, relative tolerance, what is compared).
EXPECTED = {
    "supervised_nsynth": (6.99e6, 0.02),  # official ae.gin
    "unsupervised_nsynth": (14.3e6, 0.02),  # official ae_abs.gin (paper: 12M)
    "solo_violin": (4.85e6, 0.02),  # official solo_instrument.gin (paper: 6M)
    "tiny_violin": (0.232e6, 0.02),  # without the 48k reverb taps (paper: 0.24M)
    "wavernn_nsynth": (23e6, 0.02),  # paper Table 2
}


def _count(config, without_reverb=False):
    if isinstance(config.model, WaveRNNConfig):
        return WaveRNN(config.model).n_trainable_parameters()
    model = Autoencoder(config.model)
    n = model.n_trainable_parameters()
    return n - model.reverb.ir.numel() if without_reverb and model.reverb is not None else n


AT_OTHER_RATES = sorted(n for n, c in PRESETS.items() if c.model.sample_rate != 16000)


@pytest.mark.parametrize("name", sorted(set(PRESETS) - set(AT_OTHER_RATES)))
def test_parameter_counts(name):
    config = PRESETS[name]
    if name == "wavernn_nsynth_cpu":
        assert 0.2e6 < _count(config) < 1e6  # the small CPU variant
        return
    family = next(f for f in EXPECTED if name.startswith(f))
    expected, tolerance = EXPECTED[family]
    assert _count(config, without_reverb=family == "tiny_violin") == pytest.approx(expected, rel=tolerance)


@pytest.mark.parametrize("name", AT_OTHER_RATES)
def test_parameter_counts_at_other_rates(name):
    """The 16 kHz model plus what the rate adds: harmonics (one output row each) and reverb taps."""
    config = PRESETS[name]
    m = config.model
    base = PRESETS[without_rate_tag(name)].model
    assert m.n_harmonics == math.ceil(m.sample_rate / 2 / LOWEST_NOTE_HZ)  # Nyquist from 200 Hz up
    assert m.reverb_length == round(base.reverb_length * m.sample_rate / 16000)
    width = Autoencoder(base).decoder.dense_out.in_features  # each harmonic adds a row and a bias
    extra = (m.n_harmonics - base.n_harmonics) * (width + 1) + m.reverb_length - base.reverb_length
    assert _count(config) == _count(replace(config, model=base)) + extra
    sizes_16k = PRESETS[without_rate_tag(name)].loss.fft_sizes
    assert config.loss.fft_sizes == tuple(round(n * m.sample_rate / 16000 / 4) * 4 for n in sizes_16k)


def test_cpu_presets_keep_the_paper_architecture():
    for name, config in PRESETS.items():
        if name.endswith("_cpu") and not name.startswith("wavernn"):
            paper = PRESETS[name.removesuffix("_cpu")]
            assert _count(config) == _count(paper)


def test_exact_supervised_count():
    # ae.gin with v0.0.6's TF1 GRU cell (one bias per GRU); the TF2 cell would add 3 x 512 per GRU.
    assert _count(PRESETS["supervised_nsynth"]) == 6_985_970
    assert (
        _count(
            replace(
                PRESETS["supervised_nsynth"], model=replace(PRESETS["supervised_nsynth"].model, gru_cell="v2")
            )
        )
        == 6_989_042
    )


def test_config_round_trips_through_json():
    for config in PRESETS.values():
        assert config_from_dict(json.loads(json.dumps(config_to_dict(config)))) == config


def test_hash_tracks_semantic_fields_only():
    base = get_preset("supervised_nsynth_cpu")
    assert semantic_hash(base) == semantic_hash(with_overrides(base, logging={"wandb": "disabled"}))
    assert semantic_hash(base) == semantic_hash(with_overrides(base, data={"num_workers": 4, "root": "/x"}))
    assert semantic_hash(base) != semantic_hash(with_overrides(base, optim={"lr": 1e-3}))
    assert semantic_hash(base) != semantic_hash(with_overrides(base, trainer={"seed": 1}))


def test_presets_are_frozen_and_unknown_names_fail():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRESETS["supervised_nsynth"].optim.lr = 1.0
    with pytest.raises(KeyError, match="choose one of"):
        get_preset("nope")


def test_both_optimisation_settings():
    gpu, tpu = PRESETS["supervised_nsynth"], PRESETS["supervised_nsynth_tpu"]
    assert (gpu.optim.lr, gpu.data.batch_size) == (3e-4, 32)
    assert (tpu.optim.lr, tpu.data.batch_size) == (1e-5, 128)
    assert gpu.optim.lr_decay_rate == 0.98 and gpu.optim.lr_decay_steps == 10000
    assert gpu.optim.grad_clip_norm == 3.0


def test_paper_presets_train_in_float32_by_default():
    # The official GPU runs were float32; bf16 is opt-in (--trainer.precision auto or bf16-mixed).
    assert all(config.trainer.precision == "32-true" for config in PRESETS.values())

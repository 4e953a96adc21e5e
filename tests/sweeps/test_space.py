"""Search spaces: one per preset, valid for it, applied by path, and the same in the W&B specs."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
import yaml

from ddsp_repro.cli.train import preset_with_overrides
from ddsp_repro.sweeps.space import Choice, Float, SearchSpace, apply, check, space_for, suggest
from ddsp_repro.sweeps.wandb_spec import spec_yaml
from ddsp_repro.training.presets import PRESETS

SPECS = Path(__file__).resolve().parents[2] / "sweeps" / "wandb_specs"


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_has_a_valid_space(name):
    space = space_for(name)
    check(space, PRESETS[name])
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1)).ask()
    values = suggest(space, trial)
    config = apply(PRESETS[name], values)
    for path, value in values.items():
        section, field = path.split(".")
        assert getattr(getattr(config, section), field) == value


def test_bad_parameters_are_named():
    config = PRESETS["tiny_violin_cpu"]
    with pytest.raises(ValueError, match="optim has no field 'learning_rate'"):
        check(SearchSpace({"optim.learning_rate": Float(1e-4, 1e-3)}), config)
    with pytest.raises(ValueError, match="no config section 'optimizer'"):
        check(SearchSpace({"optimizer.lr": Float(1e-4, 1e-3)}), config)
    with pytest.raises(ValueError, match="bad range"):
        check(SearchSpace({"optim.lr": Float(0.0, 1e-3, log=True)}), config)
    with pytest.raises(ValueError, match="no options"):
        check(SearchSpace({"model.ch": Choice(())}), config)
    with pytest.raises(ValueError, match="no search space"):
        space_for("no_such_preset")


def test_wandb_specs_are_in_the_repository():
    assert {p.stem for p in SPECS.glob("*.yaml")} == {"supervised_nsynth_cpu", "tiny_violin_cpu"}


@pytest.mark.parametrize("spec", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_wandb_specs_match_the_spaces_and_the_run_cli_parses_them(spec):
    assert spec.read_text() == spec_yaml(spec.stem), f"regenerate: ddsp-repro sweep-spec {spec.stem}"
    data = yaml.safe_load(spec.read_text())
    assert data["command"][3:5] == ["experiments.run", spec.stem]
    # `wandb agent` passes --section.field=VALUE; the run CLI must read each into the config.
    values = {path: p["values"][-1] if "values" in p else p["max"] for path, p in data["parameters"].items()}
    flags = [f"--{k}={v}" for k, v in values.items()]
    config = preset_with_overrides(spec.stem, flags)
    for path, value in values.items():
        section, field = path.split(".")
        assert getattr(getattr(config, section), field) == value

"""Search spaces as data: which config fields a sweep varies, over what range, to optimise what.

A parameter is named by its config path (``optim.lr``, ``model.rnn_channels``), the same path the
run CLI overrides with ``--optim.lr``. One declaration drives both the Optuna study
(`suggest`, `apply`) and the W&B sweep spec (`to_wandb_spec`). `SPACES` holds each preset's space.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from ddsp_repro.rates import without_rate_tag
from ddsp_repro.training.config import RunConfig
from ddsp_repro.training.train import with_overrides

__all__ = [
    "SPACES",
    "Choice",
    "Float",
    "Int",
    "SearchSpace",
    "apply",
    "check",
    "space_for",
    "suggest",
    "to_wandb_spec",
]


@dataclass(frozen=True)
class Float:
    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class Int:
    low: int
    high: int
    log: bool = False


@dataclass(frozen=True)
class Choice:
    options: tuple[bool | int | float | str, ...]


Param = Float | Int | Choice


@dataclass(frozen=True)
class SearchSpace:
    """`params` maps config paths to ranges; `metric` is what the trials are ranked by.

    The metric must not depend on a swept parameter: ``val/loss`` is the training loss, so a space
    that varies loss weights would compare numbers on different scales.
    """

    params: dict[str, Param] = field(default_factory=dict)
    metric: str = "val/loss"
    direction: Literal["minimize", "maximize"] = "minimize"


def _split(path: str) -> tuple[str, str]:
    section, _, name = path.partition(".")
    if not name or "." in name:
        raise ValueError(f"search parameter {path!r} must be 'section.field', e.g. 'optim.lr'")
    return section, name


def check(space: SearchSpace, config: RunConfig) -> None:
    """Raise a clear error when a parameter names no field of `config` or its range is empty."""
    sections = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    for path, param in space.params.items():
        section, name = _split(path)
        target = sections.get(section)
        if not dataclasses.is_dataclass(target):
            options = ", ".join(k for k, v in sections.items() if dataclasses.is_dataclass(v))
            raise ValueError(f"search parameter {path!r}: no config section {section!r} (have {options})")
        names = [f.name for f in dataclasses.fields(target)]
        if name not in names:
            raise ValueError(f"search parameter {path!r}: {section} has no field {name!r} (have {names})")
        if isinstance(param, Choice):
            if not param.options:
                raise ValueError(f"search parameter {path!r}: no options")
        elif not param.low < param.high or (param.log and param.low <= 0):
            raise ValueError(f"search parameter {path!r}: bad range [{param.low}, {param.high}]")


def suggest(space: SearchSpace, trial: Any) -> dict[str, Any]:
    """One value per parameter, drawn by an Optuna trial (a retried trial gets its old values)."""
    values = {}
    for path, p in space.params.items():
        if isinstance(p, Float):
            values[path] = trial.suggest_float(path, p.low, p.high, log=p.log)
        elif isinstance(p, Int):
            values[path] = trial.suggest_int(path, p.low, p.high, log=p.log)
        else:
            values[path] = trial.suggest_categorical(path, list(p.options))
    return values


def apply(config: RunConfig, values: dict[str, Any]) -> RunConfig:
    """`config` with each ``section.field`` in `values` replaced."""
    sections: dict[str, dict[str, Any]] = {}
    for path, value in values.items():
        section, name = _split(path)
        sections.setdefault(section, {})[name] = value
    return with_overrides(config, **sections)


def _wandb_param(p: Param) -> dict:
    if isinstance(p, Choice):
        return {"values": list(p.options)}
    if isinstance(p, Float) and p.log:
        # W&B's log_uniform_values takes the bounds themselves (log_uniform takes their logs).
        return {"distribution": "log_uniform_values", "min": p.low, "max": p.high}
    if isinstance(p, Int):
        if p.log:
            return {"distribution": "q_log_uniform_values", "min": p.low, "max": p.high, "q": 1}
        return {"distribution": "int_uniform", "min": p.low, "max": p.high}
    return {"distribution": "uniform", "min": p.low, "max": p.high}


def to_wandb_spec(space: SearchSpace, preset: str, method: str = "bayes") -> dict:
    """A W&B sweep spec running the same run CLI (``wandb sweep`` takes it as YAML)."""
    spec: dict[str, Any] = {
        "program": "experiments/run.py",
        "method": method,
        "metric": {"name": space.metric, "goal": space.direction},
        "parameters": {path: _wandb_param(p) for path, p in space.params.items()},
        # `wandb agent` appends --section.field=VALUE per parameter; the run CLI parses them.
        "command": ["${env}", "${interpreter}", "-m", "experiments.run", preset, "${args}"],
    }
    if method == "bayes":
        spec["early_terminate"] = {"type": "hyperband", "min_iter": 2, "eta": 2}
    return spec


# The search space of each preset: what is worth tuning for that model, and over what range.
# Every preset has one (a test checks it). The CPU-scale presets share their paper preset's space.
# Loss weights are left out on purpose: the ranking metric is the weighted loss itself.

# The DDSP autoencoders: learning rate (paper 3e-4; the TPU runs 1e-5), decoder and encoder widths.
AUTOENCODER = SearchSpace(
    {
        "optim.lr": Float(1e-4, 3e-3, log=True),
        "optim.grad_clip_norm": Float(1.0, 10.0, log=True),
        "model.rnn_channels": Choice((256, 512)),
        "model.ch": Choice((256, 512)),
    }
)

# The tiny model is about size: its single GRU is the whole decoder.
TINY = SearchSpace(
    {
        "optim.lr": Float(1e-4, 3e-3, log=True),
        "model.rnn_channels": Choice((64, 128, 256)),
    }
)

WAVERNN = SearchSpace(
    {
        "optim.lr": Float(1e-4, 3e-3, log=True),
        "model.rnn_channels": Choice((256, 512, 896)),
    }
)

SPACES: dict[str, SearchSpace] = {
    "supervised_nsynth": AUTOENCODER,
    "supervised_nsynth_tpu": AUTOENCODER,
    "unsupervised_nsynth": AUTOENCODER,
    "solo_violin": AUTOENCODER,
    "tiny_violin": TINY,
    "wavernn_nsynth": WAVERNN,
}


def space_for(preset: str) -> SearchSpace:
    """The space of `preset` (a ``*_cpu`` or other-rate preset uses its paper preset's)."""
    base = without_rate_tag(preset).removesuffix("_cpu")
    if base not in SPACES:
        raise ValueError(f"no search space for preset {preset!r}; add one to ddsp_repro/sweeps/space.py")
    return SPACES[base]

"""Load checkpoints of the official TensorFlow DDSP code (magenta/ddsp) into ddsp-repro models.

A TF checkpoint (``model.ckpt-N.index`` + ``.data-*``, as the official Estimator or
`tf.train.Saver` writes it) and the ``operative_config-*.gin`` beside it become an `Autoencoder`
with the same weights, and from the command line a ddsp-repro checkpoint that every tool here
accepts (`ddsp-repro eval`, the demos; `--resume` is not meaningful for it):

    ddsp-repro import-magenta CKPT_DIR --out model.ckpt [--preset solo_violin]
    python -m ddsp_repro.interop.magenta CKPT_DIR --out model.ckpt     # the same

Variables are matched by their place in the official layer tree (names such as
``z_rnn_fc_decoder/fc_stack_1/fc_2/dense/kernel``), not by position in a flat list, and every
one must find its parameter with the right shape: an unknown or missing variable is an error that
names it, never a weight silently left at its initial value. Optimiser state (Adam slots, global
step, learning rate) is skipped. Both GRU cells load: the TF1 cell of v0.0.6 (one bias) into
``gru_cell="v1"``, the TF2 cell of later releases (bias ``[2, 3H]``) into ``"v2"``.

Reading the checkpoint uses TensorFlow (``pip install tensorflow-cpu``, the ``tfds`` extra).
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ddsp_repro.models.autoencoder import Autoencoder, AutoencoderConfig

__all__ = [
    "config_from_gin",
    "convert",
    "load_autoencoder",
    "read_checkpoint",
    "state_dict_from_variables",
]

_OPTIMIZER = re.compile(r"(/Adam(_\d+)?$|^beta[12]_power|^global_step$|^training/|/ExponentialMovingAverage)")


def _natural_key(text: str) -> list:
    """``fc_stack_10`` after ``fc_stack_2``, and ``fc_stack`` first (Keras' uniquifying suffixes)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def read_checkpoint(path: str | Path) -> dict[str, np.ndarray]:
    """Every variable of a TF checkpoint (a directory, or a ``model.ckpt-N`` prefix) by name."""
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise ImportError("reading TF checkpoints needs TensorFlow: pip install tensorflow-cpu") from exc
    path = Path(path)
    prefix = path
    if not path.exists() and not Path(f"{path}.index").is_file():
        raise FileNotFoundError(f"no TF checkpoint at {path}")
    if path.is_dir():
        indexes = sorted(path.glob("*.index"), key=lambda p: _natural_key(p.name))
        if not indexes:
            raise FileNotFoundError(f"{path} holds no TF checkpoint (no *.index file)")
        prefix = indexes[-1].with_suffix("")
    elif not Path(f"{path}.index").is_file():
        raise FileNotFoundError(f"no TF checkpoint at {path} (expected {path}.index)")
    reader = tf.train.load_checkpoint(str(prefix))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def _gin_value(gin: str, key: str, default=None):
    match = re.search(rf"^{re.escape(key)}\s*=\s*(.+?)\s*$", gin, flags=re.MULTILINE)
    if not match:
        return default
    value = match.group(1)
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def config_from_gin(gin: str) -> AutoencoderConfig:
    """The `AutoencoderConfig` an official ``operative_config.gin`` describes."""
    gin = gin.replace("\\\n", " ")  # join continuation lines
    decoder = "ZRnnFcDecoder" if "ZRnnFcDecoder." in gin else "RnnFcDecoder"
    if f"{decoder}." not in gin:
        raise ValueError("the gin config has no RnnFcDecoder or ZRnnFcDecoder: not a DDSP autoencoder")
    splits = dict(_gin_value(gin, f"{decoder}.output_splits", ()))
    has_encoder = "MfccTimeDistributedRnnEncoder." in gin and _gin_value(gin, "Autoencoder.encoder") != "None"
    n_samples = int(_gin_value(gin, "Additive.n_samples", _gin_value(gin, "Harmonic.n_samples", 64000)))
    n_frames = int(_gin_value(gin, "DefaultPreprocessor.time_steps", 1000))
    reverb = "Reverb." in gin and "@effects.Reverb()" in gin
    resnet = _gin_value(gin, "ResnetF0Encoder.size") if "@encoders.ResnetF0Encoder()" in gin else None
    return AutoencoderConfig(
        n_samples=n_samples,
        sample_rate=int(_gin_value(gin, "Additive.sample_rate", 16000)),
        n_frames=n_frames,
        n_harmonics=int(splits.get("harmonic_distribution", 100)),
        n_noise_bands=int(splits.get("noise_magnitudes", 65)),
        noise_initial_bias=float(_gin_value(gin, "FilteredNoise.initial_bias", -5.0)),
        z_dims=int(_gin_value(gin, "MfccTimeDistributedRnnEncoder.z_dims", 16)) if has_encoder else None,
        z_frames=int(_gin_value(gin, "MfccTimeDistributedRnnEncoder.z_time_steps", 125)),
        ch=int(_gin_value(gin, f"{decoder}.ch", 512)),
        layers_per_stack=int(_gin_value(gin, f"{decoder}.layers_per_stack", 3)),
        rnn_channels=int(_gin_value(gin, f"{decoder}.rnn_channels", 512)),
        f0_encoder=resnet is not None,
        f0_bins=int(_gin_value(gin, "ResnetF0Encoder.f0_bins", 128)),
        resnet_size=resnet if resnet in ("small", "medium", "large") else "small",
        reverb=reverb,
        reverb_length=int(_gin_value(gin, "Reverb.reverb_length", 48000)),
    )


# -- variable names -> parameter names --------------------------------------------------------


def _gru(prefix: str, names: dict[str, np.ndarray], target: str) -> tuple[dict[str, Tensor], str]:
    """A Keras GRU's three variables -> ddsp-repro `GRU` parameters, and the cell they imply."""
    kernel, recurrent, bias = (
        names.pop(f"{prefix}/gru_cell/{k}") for k in ("kernel", "recurrent_kernel", "bias")
    )
    if bias.ndim == 1:  # TF1 cell: Keras layout kept
        return {
            f"{target}.kernel": torch.from_numpy(kernel),
            f"{target}.recurrent_kernel": torch.from_numpy(recurrent),
            f"{target}.bias": torch.from_numpy(bias),
        }, "v1"
    hidden = recurrent.shape[0]

    def torch_order(w: np.ndarray) -> np.ndarray:  # Keras (z, r, h) -> torch (r, z, n) along the last axis
        z, r, h = np.split(w, 3, axis=-1)
        return np.concatenate([r, z, h], axis=-1)

    if recurrent.shape != (hidden, 3 * hidden):
        raise ValueError(f"{prefix}: recurrent kernel of shape {recurrent.shape} is not [H, 3H]")
    return {
        f"{target}.rnn.weight_ih_l0": torch.from_numpy(torch_order(kernel).T.copy()),
        f"{target}.rnn.weight_hh_l0": torch.from_numpy(torch_order(recurrent).T.copy()),
        f"{target}.rnn.bias_ih_l0": torch.from_numpy(torch_order(bias[0])),
        f"{target}.rnn.bias_hh_l0": torch.from_numpy(torch_order(bias[1])),
    }, "v2"


def _dense(prefix: str, names: dict, target: str) -> dict[str, Tensor]:
    return {
        f"{target}.weight": torch.from_numpy(names.pop(f"{prefix}/kernel").T.copy()),
        f"{target}.bias": torch.from_numpy(names.pop(f"{prefix}/bias")),
    }


def _children(names: dict, prefix: str, pattern: str) -> list[str]:
    """Distinct child scopes of `prefix` matching `pattern`, in Keras creation order."""
    found = set()
    for name in names:
        if name.startswith(prefix + "/"):
            child = name[len(prefix) + 1 :].split("/")[0]
            if re.fullmatch(pattern, child):
                found.add(child)
    return sorted(found, key=_natural_key)


def _fc_stack(prefix: str, names: dict, target: str) -> dict[str, Tensor]:
    out = {}
    for i, fc in enumerate(_children(names, prefix, r"fc(_\d+)?")):
        out.update(_dense(f"{prefix}/{fc}/dense", names, f"{target}.{3 * i}"))
        (norm,) = _children(names, f"{prefix}/{fc}", r"layer_normalization(_\d+)?")
        out[f"{target}.{3 * i + 1}.weight"] = torch.from_numpy(names.pop(f"{prefix}/{fc}/{norm}/gamma"))
        out[f"{target}.{3 * i + 1}.bias"] = torch.from_numpy(names.pop(f"{prefix}/{fc}/{norm}/beta"))
    return out


def _normalize(
    prefix: str, names: dict, target: str, scale: str = "weight", shift: str = "bias"
) -> dict[str, Tensor]:
    """The official `Normalize` layer under `prefix` (its name is uniquified: normalize_N)."""
    (norm,) = _children(names, prefix, r"normalize(_\d+)?")
    return {
        f"{target}.{scale}": torch.from_numpy(names.pop(f"{prefix}/{norm}/scale").reshape(-1)),
        f"{target}.{shift}": torch.from_numpy(names.pop(f"{prefix}/{norm}/shift").reshape(-1)),
    }


def _conv2d(prefix: str, names: dict, target: str) -> dict[str, Tensor]:
    kernel = names.pop(f"{prefix}/kernel")  # [kt, kf, in, out] -> [out, in, kt, kf]
    return {
        f"{target}.weight": torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()),
        f"{target}.bias": torch.from_numpy(names.pop(f"{prefix}/bias")),
    }


def _resnet(prefix: str, names: dict, target: str) -> dict[str, Tensor]:
    """The official `nn.resnet`: stem conv, then two residual stacks, each closed by a norm."""
    out = _conv2d(f"{prefix}/conv2d", names, f"{target}.stem")
    index = 0
    for stack in _children(names, prefix, r"residual_stack(_\d+)?"):
        sp = f"{prefix}/{stack}"
        for layer in _children(names, sp, r"residual_layer(_\d+)?"):
            lp, lt = f"{sp}/{layer}", f"{target}.layers.{index}"
            out.update(_normalize(lp, names, f"{lt}.norm_input"))
            if f"{lp}/conv_proj/kernel" in names:
                out.update(_conv2d(f"{lp}/conv_proj", names, f"{lt}.proj"))
            bp = f"{lp}/bottleneck"
            out.update(_conv2d(f"{bp}/conv2d", names, f"{lt}.conv_1"))
            for j, nrc in enumerate(_children(names, bp, r"norm_relu_conv(_\d+)?"), start=1):
                out.update(_normalize(f"{bp}/{nrc}", names, f"{lt}.norm_{j}"))
                out.update(_conv2d(f"{bp}/{nrc}/conv2d", names, f"{lt}.conv_{j + 1}"))
            index += 1
        out.update(_normalize(sp, names, f"{target}.layers.{index}"))
        index += 2  # the norm and its ReLU
    return out


def _crepe(prefix: str, names: dict, target: str) -> dict[str, Tensor]:
    out = {}
    for i in range(1, 7):
        kernel = names.pop(f"{prefix}/conv{i}/kernel")  # [w, 1, in, out] -> [out, in, w]
        out[f"{target}.convs.{i - 1}.weight"] = torch.from_numpy(kernel[:, 0].transpose(2, 1, 0).copy())
        out[f"{target}.convs.{i - 1}.bias"] = torch.from_numpy(names.pop(f"{prefix}/conv{i}/bias"))
        for theirs, ours in (
            ("gamma", "weight"),
            ("beta", "bias"),
            ("moving_mean", "running_mean"),
            ("moving_variance", "running_var"),
        ):
            key = f"{prefix}/conv{i}-BN/{theirs}"
            if key in names:
                out[f"{target}.norms.{i - 1}.{ours}"] = torch.from_numpy(names.pop(key))
    out.update(_dense(f"{prefix}/classifier", names, f"{target}.classifier"))
    return out


def state_dict_from_variables(
    variables: dict[str, np.ndarray], crepe_prefix: str | None = None
) -> tuple[dict[str, Tensor], str, dict[str, Tensor]]:
    """Official variables -> (model state dict, GRU cell, CREPE loss state dict).

    Raises:
        KeyError: naming every variable that has no place in the model.
    """
    names = {k.removeprefix("autoencoder/"): v for k, v in variables.items() if not _OPTIMIZER.search(k)}
    state: dict[str, Tensor] = {}
    cells = set()
    crepe: dict[str, Tensor] = {}
    for decoder in ("z_rnn_fc_decoder", "rnn_fc_decoder"):
        if not any(n.startswith(decoder + "/") for n in names):
            continue
        stacks = _children(names, decoder, r"fc_stack(_\d+)?")
        # 0 stacks: the tiny model (layers_per_stack = 0); a stack of no layers has no variables.
        order = {
            0: [],
            3: ["f_stack", "l_stack", "out_stack"],
            4: ["f_stack", "l_stack", "z_stack", "out_stack"],
        }
        order = order.get(len(stacks), [])  # any other count: the zip below names the mismatch
        for stack, ours in zip(stacks, order, strict=True):
            state.update(_fc_stack(f"{decoder}/{stack}", names, f"decoder.{ours}"))
        gru, cell = _gru(f"{decoder}/gru", names, "decoder.rnn")
        state.update(gru)
        cells.add(cell)
        state.update(_dense(f"{decoder}/dense", names, "decoder.dense_out"))
    enc = "mfcc_time_distrbuted_rnn_encoder"
    if any(n.startswith(enc + "/") for n in names):
        f0 = f"{enc}/resnet_f0_encoder"
        if any(n.startswith(f0 + "/") for n in names):
            state.update(_resnet(f"{f0}/resnet", names, "f0_encoder.resnet"))
            state.update(_dense(f"{f0}/dense", names, "f0_encoder.dense_out"))
        state.update(_normalize(enc, names, "encoder.norm", scale="scale", shift="shift"))
        gru, cell = _gru(f"{enc}/gru", names, "encoder.rnn")
        state.update(gru)
        cells.add(cell)
        state.update(_dense(f"{enc}/dense", names, "encoder.dense"))
    for reverb in ("reverb/ir", "ir"):  # the graph-mode Reverb creates its IR outside its scope
        if reverb in names:
            state["reverb.ir"] = torch.from_numpy(names.pop(reverb).reshape(-1))
    if any(n.startswith("crepe/") for n in names):
        crepe = _crepe("crepe", names, "crepe")
    if names:
        raise KeyError(f"variables with no place in a ddsp-repro model: {sorted(names)}")
    if len(cells) > 1:
        raise ValueError("the checkpoint mixes GRU cells")
    return state, cells.pop() if cells else "v1", crepe


def load_autoencoder(
    ckpt: str | Path, gin: str | None = None, config: AutoencoderConfig | None = None
) -> tuple[Autoencoder, dict[str, Tensor]]:
    """An `Autoencoder` holding an official checkpoint's weights, and the CREPE-loss weights (if any).

    `gin` defaults to the ``operative_config-*.gin`` beside the checkpoint; `config` (for
    example a preset's model) overrides what the gin implies, but shapes must still agree.
    """
    ckpt = Path(ckpt)
    variables = read_checkpoint(ckpt)  # first: a missing checkpoint is the error to report
    folder = ckpt if ckpt.is_dir() else ckpt.parent
    if gin is None and config is None:
        gins = sorted(folder.glob("operative_config-*.gin"), key=lambda p: _natural_key(p.name))
        if not gins:
            raise FileNotFoundError(f"no operative_config-*.gin beside {ckpt}; pass the gin text or a config")
        gin = gins[-1].read_text()
    state, cell, crepe = state_dict_from_variables(variables)
    config = replace(config or config_from_gin(gin), gru_cell=cell)
    if "f0_encoder.dense_out.weight" in state:
        config = replace(config, f0_bins=state["f0_encoder.dense_out.weight"].shape[0])
        stem = state.get("f0_encoder.resnet.layers.0.conv_1.weight")
        if stem is not None:
            config = replace(config, resnet_channels=stem.shape[0])
    model = Autoencoder(config)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    if missing:
        raise KeyError(f"the checkpoint lacks weights for: {missing}")
    for key, value in state.items():
        if key not in own:
            raise KeyError(f"the checkpoint has {key}, which this model does not")
        if tuple(own[key].shape) != tuple(value.shape):
            raise ValueError(f"{key}: checkpoint shape {tuple(value.shape)}, model {tuple(own[key].shape)}")
    model.load_state_dict(state)
    return model, crepe


def convert(ckpt: str | Path, out: str | Path, preset: str | None = None) -> Path:
    """Write an official checkpoint as a ddsp-repro checkpoint (the format `train` writes)."""
    from ddsp_repro.training.config import config_to_dict
    from ddsp_repro.training.module import module_for
    from ddsp_repro.training.presets import get_preset
    from ddsp_repro.training.train import AtomicCheckpointIO

    model, crepe = load_autoencoder(ckpt)
    run = get_preset(preset) if preset else None
    if run is None:
        base = "unsupervised_nsynth" if model.config.f0_encoder else "supervised_nsynth"
        if model.config.z_dims is None:
            base = "tiny_violin" if model.config.layers_per_stack == 0 else "solo_violin"
        run = get_preset(base)
    run = replace(run, model=model.config, name=f"{run.name}_magenta")
    module = module_for(run)
    module.model.load_state_dict(model.state_dict())
    if crepe and getattr(module, "crepe_loss", None) is not None and module.crepe_loss.crepe is not None:
        module.crepe_loss.load_state_dict(crepe, strict=False)
    out = Path(out)
    checkpoint = {
        "state_dict": module.state_dict(),
        "hyper_parameters": {"config": config_to_dict(run)},
        "global_step": 0,
        "magenta_checkpoint": str(Path(ckpt).resolve()),
    }
    AtomicCheckpointIO().save_checkpoint(checkpoint, out)
    return out


if __name__ == "__main__":  # the documented `python -m` form of `ddsp-repro import-magenta`
    from ddsp_repro.cli import run_command

    run_command("import-magenta")

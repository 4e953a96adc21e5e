"""Networks of the paper's models: encoders, decoders and the autoencoder that joins them to the synths."""

from ddsp_repro.models.autoencoder import Autoencoder, AutoencoderConfig
from ddsp_repro.models.layers import FcStack, InstanceNormalize
from ddsp_repro.models.networks import MfccZEncoder, RnnFcDecoder

__all__ = ["Autoencoder", "AutoencoderConfig", "FcStack", "InstanceNormalize", "MfccZEncoder", "RnnFcDecoder"]

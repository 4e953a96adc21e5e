"""ddsp-repro: a PyTorch reproduction of DDSP (Engel et al., ICLR 2020)."""

__version__ = "0.1.0"

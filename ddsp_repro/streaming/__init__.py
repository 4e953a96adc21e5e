"""Real time: a trained instrument rendered block by block, live features, and exported artefacts.

`StreamingRenderer` (controls -> audio, state carried), `features` (causal loudness and buffered
CREPE from live audio), `StreamingInstrument` (audio or controls in, audio out: what is exported),
`export` (TorchScript, nn~, Neutone, ONNX) and `session` (a file run as a live stream, timed).
"""

from ddsp_repro.streaming.renderer import PartitionedConvolution, StreamingRenderer

__all__ = ["PartitionedConvolution", "StreamingRenderer"]

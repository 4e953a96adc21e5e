"""Evaluation: the paper's metrics, scoring a checkpoint, its report, the RESULTS.md tables, rooms.

- `metrics`: per-example loudness and F0 L1 and the torchmetrics `Metric`s that reduce them
  across processes (the paper's Table 1).
- `evaluate`: a checkpoint resynthesises a split; the report with metrics and provenance.
- `report`: the report as JSON and as a W&B eval run.
- `results`: RESULTS.md's tables regenerated from the committed reports.
- `acoustics`: room measurements (energy decay, RT60, DRR) for the reverb demonstrations.

Needs the ``train`` extra (Lightning, torchmetrics).
"""

"""Hyper-parameter sweeps: search spaces as data (`space`), Optuna studies (`study`), W&B specs.

Needs the ``sweeps`` extra (optuna, optuna-integration).
"""

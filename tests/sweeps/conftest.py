"""Sweep tests need the ``sweeps`` extra."""

import pytest

pytest.importorskip("optuna")
pytest.importorskip("optuna_integration")

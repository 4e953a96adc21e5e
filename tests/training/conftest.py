"""Training tests need the ``train`` extra."""

import pytest

pytest.importorskip("lightning")

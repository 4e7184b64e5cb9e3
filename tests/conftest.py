"""Shared test fixtures: the golden-data folder and the array backends every rule runs on."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import Phase, settings

# `make mutation` runs each mutant's tests to the first failure: a failing property need not be
# shrunk to its smallest example there, and shrinking a broken rule's example can take minutes.
settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate])
if os.environ.get("COURSE_HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["COURSE_HYPOTHESIS_PROFILE"])

GOLDEN = Path(__file__).parent / "golden" / "data"


def _cupy_usable() -> bool:
    try:
        import cupy

        return bool(cupy.is_available())
    except Exception:
        return False


# array_api_strict stands in for CuPy on machines without a GPU.
BACKENDS = ["numpy", "array_api_strict"] + (["cupy"] if _cupy_usable() else [])


@pytest.fixture
def golden() -> Path:
    """Folder of reference data written by the generator scripts in tests/golden/ (from torch)."""
    return GOLDEN


@pytest.fixture(params=BACKENDS)
def xp(request):
    """Each backend's array namespace in turn: numpy, array_api_strict, and cupy where a GPU exists."""
    if request.param == "numpy":
        import array_api_compat.numpy as mod
    elif request.param == "array_api_strict":
        import array_api_strict as mod
    else:
        import array_api_compat.cupy as mod
    return mod

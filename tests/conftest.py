import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("PYTHONHASHSEED", "0")

import pytest


@pytest.fixture(scope="session")
def embedded():
    """The embedded Complete Journey data, loaded once per test session."""
    from segtarget.data import load_source

    return load_source("completejourney")

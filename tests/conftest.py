import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))


@pytest.fixture
def root() -> Path:
    return ROOT

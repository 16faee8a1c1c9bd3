import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))


@pytest.fixture(autouse=True, scope="session")
def _private_result_cache(tmp_path_factory):
    """CLI runs in the tests use a result cache of their own, never the user's."""
    import os
    os.environ["FORMALC_CACHE_DIR"] = str(tmp_path_factory.mktemp("formalc-cache"))
    os.environ.pop("FORMALC_NO_CACHE", None)
    yield


@pytest.fixture
def root() -> Path:
    return ROOT

# tests/fixtures/ holds deliberately broken specs: never collect them as formal checks,
# even under `pytest --formalc`.
collect_ignore_glob = ["fixtures/*"]

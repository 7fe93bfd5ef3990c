"""Where the shared news corpora live, and how tests that need them skip or fail."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """``$NEWS_SEARCH_DATA``, else ``../shared/data`` beside the repository."""
    return Path(os.environ.get("NEWS_SEARCH_DATA") or REPO.parent / "shared" / "data")


def require_data(*parts: str) -> Path:
    """The path of a shared data set; skips the test when it is absent (fails with ``NEWS_SEARCH_REQUIRE_DATA=1``)."""
    path = data_dir().joinpath(*parts)
    if not path.exists():
        message = f"{path} not found; set NEWS_SEARCH_DATA to the shared corpora"
        if os.environ.get("NEWS_SEARCH_REQUIRE_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path

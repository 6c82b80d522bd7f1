"""Shared fixtures: paths of the shipped data and the Gera reference district."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The repository's data/ folder."""
    return DATA

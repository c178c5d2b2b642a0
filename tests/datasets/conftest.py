"""Fixtures: fresh tiny corpus trees per test (builders and expected values live in kemdy_trees.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from kemdy_trees import build_kemdy19, build_kemdy20


@pytest.fixture
def kemdy19_root(tmp_path: Path) -> Path:
    return build_kemdy19(tmp_path / "KEMDy19")


@pytest.fixture
def kemdy20_root(tmp_path: Path) -> Path:
    return build_kemdy20(tmp_path / "KEMDy20_v1_1")

"""Fixtures of the import tests: `w`, the world's rows in the test's session (the workbook
helpers are in tests/support/imports.py)."""
from __future__ import annotations

import pytest

from tests.support.handling import world_rows


@pytest.fixture
def w(ctx, world):
    """The world's rows, loaded in the test's own session."""
    return world_rows(world)

"""Fixtures of the handling tests: `w`, the world's rows in the test's session (the helpers
that bring an assignment into any state are in tests/support/handling.py)."""
from __future__ import annotations

import pytest

from tests.support.handling import world_rows


@pytest.fixture
def w(ctx, world):
    """The world's rows, loaded in the test's own session."""
    return world_rows(world)

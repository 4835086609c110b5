"""Fixtures of the handling tests: `w`, the world's rows in the test's session (the helpers
that bring an assignment into any state are in tests/support/handling.py)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.support.handling import _model_for
from tracker.extensions import db


@pytest.fixture
def w(ctx, world):
    """The world's rows, loaded in the test's own session."""
    return SimpleNamespace(**{k: db.session.get(_model_for(k), v) for k, v in vars(world).items()})

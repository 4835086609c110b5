"""Fixtures for replies: the handling world `w` (helpers in tests/support/replies.py and
tests/support/handling.py)."""
from __future__ import annotations

from tests.handling.conftest import w  # noqa: F401

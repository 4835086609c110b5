"""Fixtures for reminders: the handling world `w` (helpers in tests/support/notifications.py)."""
from __future__ import annotations

from tests.handling.conftest import w  # noqa: F401  (the fixture)

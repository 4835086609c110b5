"""Fixtures for the job queue's tests: the handling world `w`."""
from __future__ import annotations

from tests.handling.conftest import w  # noqa: F401  (the fixture)

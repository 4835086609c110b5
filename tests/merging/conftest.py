"""Fixtures for 并案: the handling world `w`."""
from __future__ import annotations

from tests.handling.conftest import w  # noqa: F401

"""Fixtures for 并案: the handling world `w`, and the API's tokens and checked client."""
from __future__ import annotations

from tests.api.conftest import api, spec, tokens  # noqa: F401
from tests.handling.conftest import w  # noqa: F401

"""Fixtures of the fuzz suite.

The security suite's scenario (tests/security/conftest.py: health's items in every state that
has actions, a signed-in client per user, API tokens for every user, the route matrix) is
reused rather than copied. The app the cases are built from is tests/support/fuzz.py's."""
from __future__ import annotations

from tests.security.conftest import _module_scenario, scenario  # noqa: F401 (fixtures)

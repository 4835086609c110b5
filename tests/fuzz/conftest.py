"""Fixtures of the fuzz suite.

The security suite's scenario (tests/security/conftest.py: health's items in every state that
has actions, a signed-in client per user, API tokens for every user, the route matrix) is
reused rather than copied. `collection_app()` is an application without a database, built
once at collection time, for what is known before any test runs: the URL map (one test per
route) and the OpenAPI document (one test per API operation).
"""
from __future__ import annotations

from functools import lru_cache

from tests.conftest import TEST_SECRET
from tests.security.conftest import _module_scenario, scenario  # noqa: F401 (fixtures)


@lru_cache(maxsize=1)
def collection_app():
    """An app for reading its URL map and OpenAPI document (it never opens its database)."""
    from tracker import create_app

    return create_app({"DATABASE_URL": "sqlite://", "TESTING": True,
                       "SECRET_KEY": TEST_SECRET, "ENV": "development"})

"""`collection_app()`: an application without a database, built once at collection time, for
what is known before any test runs: the URL map (one test per route) and the OpenAPI document
(one test per API operation)."""
from __future__ import annotations

from functools import lru_cache

from tests.support.base import TEST_SECRET


@lru_cache(maxsize=1)
def collection_app():
    """An app for reading its URL map and OpenAPI document (it never opens its database)."""
    from tracker import create_app

    return create_app({"DATABASE_URL": "sqlite://", "TESTING": True,
                       "SECRET_KEY": TEST_SECRET, "ENV": "development"})

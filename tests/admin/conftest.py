"""Fixtures for the administrator's pages."""
from __future__ import annotations

import pytest


@pytest.fixture
def admin(client, world):
    """The test client, logged in as the administrator."""
    response = client.login("admin")
    assert response.status_code == 302
    return client

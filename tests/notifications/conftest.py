"""Fixtures for notifications: the handling world `w`, a real local SMTP server `smtp` and a
real local SMS gateway `gateway` (helpers in tests/support/notifications.py, gateway.py and
cycle.py)."""
from __future__ import annotations

import pytest

from tests.handling.conftest import w  # noqa: F401  (the fixture)
from tests.ratings.test_outbox_smtp import smtp  # noqa: F401  (the fixture)
from tests.support import gateway as sms_gateway


@pytest.fixture
def gateway():
    """A real HTTP SMS gateway on 127.0.0.1 and a free port, recording what it is sent."""
    with sms_gateway.running() as served:
        yield served

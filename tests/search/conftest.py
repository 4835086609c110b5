"""The search tests' handling world, with the office's leader (吴昱)."""
from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.support.handling import world_rows
from tracker.accounts.models import Role
from tracker.extensions import db


@pytest.fixture
def w(ctx, world):
    rows = world_rows(world)
    rows.office_leader = make_user("office_leader", rows.office, Role.leader, full_name="吴昱")
    db.session.flush()
    return rows

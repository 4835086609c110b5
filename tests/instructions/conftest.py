"""Leaders for the instruction tests: the office's (吴昱) and health's deputy (鲁朗); hr's
leader (宋厅长) is the standard world's."""
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
    rows.health_deputy = make_user("health_deputy", rows.health, Role.leader, full_name="鲁朗")
    db.session.flush()
    return rows

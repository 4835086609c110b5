"""`flask supervision check-facts` finds a stale fact or total; `refresh-facts` repairs both."""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import update

from tests import factories
from tests.support.handling import bring_to
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.supervision.models import FigureCount


def test_check_finds_stale_data_and_refresh_repairs_it(live_app):
    with live_app.test_request_context():
        w = SimpleNamespace(**factories.build_world())
        assignment = bring_to(w, "replied")
        db.session.commit()
        assignment_id = assignment.id
    runner = live_app.test_cli_runner()
    result = runner.invoke(args=["supervision", "check-facts"])
    assert result.exit_code == 0 and "一致" in result.output

    with live_app.app_context():
        # Around the ORM, as a hand repair in the database would.
        db.session.execute(update(Assignment).where(Assignment.id == assignment_id)
                           .values(latest_class="C"))
        db.session.execute(update(FigureCount).values(replied=FigureCount.replied + 3))
        db.session.commit()
    result = runner.invoke(args=["supervision", "check-facts"])
    assert result.exit_code == 1
    assert f"交办 {assignment_id}：latest_class 存为 'C'，应为 'A'" in result.output
    assert "figure_counts" in result.output

    result = runner.invoke(args=["supervision", "refresh-facts"])
    assert result.exit_code == 0
    result = runner.invoke(args=["supervision", "check-facts"])
    assert result.exit_code == 0, result.output

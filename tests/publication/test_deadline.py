"""The publication deadline: an issued reply to be published is due 20 working days after its
issue on the working-day calendar; an overdue one shows on the dashboard and its unit is
warned once."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests.support.publication import issued_reply
from tracker.core.time import today
from tracker.extensions import db
from tracker.jobs import queue
from tracker.notifications.models import Notification
from tracker.publication import deadlines
from tracker.replies.models import Reply
from tracker.workdays.calendar import WorkCalendar
from tracker.workdays.models import CalendarDay


def _kpi(html: str, name: str) -> int:
    return int(re.search(rf'data-kpi="{name}">(\d+)<', html).group(1))


def test_the_deadline_counts_working_days_on_the_calendar(app, world, make_client):
    with app.app_context():
        # A holiday within the 20 days moves the deadline one working day on.
        plain = WorkCalendar.load().add_working_days(today(), 20)
        holiday = WorkCalendar.load().add_working_days(today(), 3)
        db.session.add(CalendarDay(day=holiday, is_workday=False, note="测试假日"))
        db.session.commit()
        expected = WorkCalendar.load().add_working_days(today(), 20)
        assert expected > plain
    reply_id = issued_reply(app, world, make_client)
    withheld_id = issued_reply(app, world, make_client, disclosure="not_public",
                               publication="withheld")
    with app.app_context():
        assert db.session.get(Reply, reply_id).publish_due_on == expected
        assert db.session.get(Reply, withheld_id).publish_due_on is None


def test_an_overdue_publication_shows_on_the_dashboard_and_warns_the_unit(
        app, world, make_client):
    reply_id = issued_reply(app, world, make_client)
    issued_reply(app, world, make_client, disclosure="not_public", publication="withheld")
    supervisor = make_client()
    supervisor.login("clerk")
    board = supervisor.get("/supervision/").get_data(as_text=True)
    assert (_kpi(board, "publish-due"), _kpi(board, "publish-overdue")) == (1, 0)
    with app.app_context():
        assert deadlines.warn() == 0  # not due yet: nobody told
        reply = db.session.get(Reply, reply_id)
        reply.publish_due_on = today() - timedelta(days=1)  # as if issued a month ago
        db.session.commit()
        doc_number = reply.doc_number
    board = supervisor.get("/supervision/").get_data(as_text=True)
    assert _kpi(board, "publish-overdue") == 1
    with app.app_context():
        proposal_id = db.session.get(Reply, reply_id).assignment.proposal_id
    item = supervisor.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert f"待公开（应于 {(today() - timedelta(days=1)).isoformat()} 前公开，已逾期）" in item
    overdue = board.split('id="tbl-publish-overdue"')[1].split("</table>")[0]
    assert doc_number in overdue and "省卫生健康委员会" in overdue
    # The unit's own dashboard shows it too; another unit's does not.
    for username, count in (("health_clerk", 1), ("edu_clerk", 0)):
        client = make_client()
        client.login(username)
        assert _kpi(client.get("/supervision/").get_data(as_text=True),
                    "publish-overdue") == count, username

    with app.app_context():
        told = deadlines.warn()
        assert told >= 1
        assert deadlines.warn() == 0  # once per reply and deadline
        rows = db.session.scalars(select(Notification).where(
            Notification.kind == "publication_overdue")).all()
        users = {n.user.username for n in rows}
        assert "health_clerk" in users and not any(u.startswith("edu") for u in users)
        assert all(doc_number in n.text and "已逾期" in n.text for n in rows)
        db.session.commit()
    clerk = make_client()
    clerk.login("health_clerk")
    assert "公开逾期" in clerk.get("/notifications").get_data(as_text=True)

    # Published (late): no longer overdue, counted as published but not on time.
    assert clerk.post_form(f"/replies/{reply_id}/publish", {"confirm": "1"}).status_code == 302
    board = supervisor.get("/supervision/").get_data(as_text=True)
    assert (_kpi(board, "published"), _kpi(board, "published-on-time"),
            _kpi(board, "publish-overdue")) == (1, 0, 0)
    assert 'id="tbl-publish-overdue"' not in board


def test_the_warning_runs_every_day_on_the_queue():
    names = [name for name in queue.PERIODIC if name.endswith("warn_overdue_publications")]
    assert len(names) == 1

"""办结 waits in the supervising clerk's to-do list: rated items, and replied items whose
rating period is over; the contact log is offered on the unit's rows, never a row by itself."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.support.handling import bring_to, world_rows
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.replies.models import Reply


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    return body.split("</tr>")[:-1]


def _row_of(page: str, title_marker: str) -> str | None:
    found = [row for row in _rows(page) if title_marker in row]
    return found[0] if found else None


def test_rated_and_lapsed_items_wait_for_close_in_the_clerks_to_do(app, make_client, world):
    with app.test_request_context():
        w = world_rows(world)
        rated = bring_to(w, "rated")
        replied = bring_to(w, "replied")
        waiting = bring_to(w, "replied")
        ids = {"rated": rated.proposal_id, "replied": replied.proposal_id,
               "waiting": waiting.proposal_id}
        from tracker.ratings.queries import issued_reply

        db.session.execute(update(Reply).where(Reply.id == issued_reply(replied).id).values(
            issued_at=utcnow() - timedelta(days=app.config["RATING_DAYS"] + 1)))
        db.session.commit()
    clerk = make_client()
    clerk.login("clerk")
    page = clerk.get("/").get_data(as_text=True)
    for key in ("rated", "replied"):
        row = _row_of(page, f'href="/proposals/{ids[key]}"')
        assert row is not None, key
        assert "待办结" in row and f'href="/proposals/{ids[key]}/actions/close">办结</a>' in row
    assert _row_of(page, f'href="/proposals/{ids["waiting"]}"') is None


def test_the_contact_log_is_offered_on_rows_but_makes_no_row(app, make_client, world):
    with app.test_request_context():
        w = world_rows(world)
        accepted = bring_to(w, "accepted")     # the clerk's row: 待指定承办人 (and 登记联系情况)
        drafting = bring_to(w, "drafting")     # the drafter's: 待撰写答复 (and 登记联系情况)
        ids = (accepted.id, accepted.proposal_id, drafting.id, drafting.proposal_id)
        db.session.commit()
    accepted_id, accepted_item, drafting_id, drafting_item = ids
    unit_clerk = make_client()
    unit_clerk.login("health_clerk")
    page = unit_clerk.get("/").get_data(as_text=True)
    row = _row_of(page, f'href="/proposals/{accepted_item}"')
    contact = f'href="/assignments/{accepted_id}/actions/record_contact"'
    assert contact in row and "登记联系情况" in row
    # The contact link is secondary: the row's main buttons come first.
    assert row.index(f'/assignments/{accepted_id}/actions/dispatch') < row.index(contact)
    drafter = make_client()
    drafter.login("health_drafter")
    page = drafter.get("/").get_data(as_text=True)
    row = _row_of(page, f'href="/proposals/{drafting_item}"')
    assert f'href="/assignments/{drafting_id}/actions/record_contact"' in row

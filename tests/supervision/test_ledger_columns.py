"""The 办理台账 carries what the office files with each item: 分类, 承办人, 答复形式 and its
办结评定; read back from the produced workbook, in a query count that does not grow with
the rows."""
from __future__ import annotations

from sqlalchemy import event, update
from sqlalchemy.engine import Engine

from tests.supervision.helpers import csv_rows, xlsx_sheet
from tests.support.supervision import E, H
from tracker.accounts.models import User
from tracker.extensions import db
from tracker.proposals.models import Proposal
from tracker.ratings.operations import close_item


def _ledger(client) -> dict[str, dict]:
    rows, _ = xlsx_sheet(client.get("/proposals/export.xlsx").data, "办理台账")
    headers = rows[2]
    return {r[1]: dict(zip(headers, r)) for r in rows[3:]}


def test_the_ledger_has_grade_drafter_category_and_reply_form(figures, login):
    with figures.app.test_request_context():
        db.session.execute(update(Proposal).where(Proposal.id == figures.ids.p1)
                           .values(category="医疗卫生"))
        close_item(db.session.get(Proposal, figures.ids.p1),
                   db.session.get(User, figures.ids.clerk), grade="good")
        db.session.commit()
    client = login("clerk")
    rows = _ledger(client)
    first = rows["901"]
    assert first["分类"] == "医疗卫生"
    assert first["承办人"] == "刘承办"  # the health department's drafter
    assert first["答复形式"] == "书面答复"
    assert first["办结评定"] == "好"
    fourth = rows["904"]  # not closed yet, no category
    assert fourth["办结评定"] in (None, "") and fourth["分类"] in (None, "")
    assert fourth["承办人"] == "黄承办" and fourth["答复形式"] == "书面答复"
    # Two separate units: each drafter with the unit's name.
    assert rows["0906"]["承办人"] == f"{H}：刘承办；{E}：黄承办"
    # Not passed on to a drafter yet: no one.
    assert rows["903"]["承办人"] in (None, "")
    lines = csv_rows(client.get("/proposals/export.csv").data)
    by_number = {r[1]: dict(zip(lines[0], r)) for r in lines[1:]}
    assert (by_number["901"]["办结评定"], by_number["901"]["承办人"],
            by_number["901"]["答复形式"], by_number["901"]["分类"]) == (
        "好", "刘承办", "书面答复", "医疗卫生")


def test_the_ledger_query_count_does_not_grow_with_the_rows(figures, login):
    client = login("clerk")
    client.get("/proposals/export.xlsx")  # warm up: the session's first loads

    def statements(query: str) -> tuple[int, int]:
        seen: list[str] = []

        def record(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(Engine, "before_cursor_execute", record)
        try:
            data = client.get(f"/proposals/export.xlsx?{query}").data
        finally:
            event.remove(Engine, "before_cursor_execute", record)
        rows, _ = xlsx_sheet(data, "办理台账")
        return len(rows) - 3, len(seen)

    one_row, one = statements("q=%E7%AC%AC5%E4%BB%B6")
    all_rows, every = statements("")
    assert one_row == 1 and all_rows == 9
    assert one == every

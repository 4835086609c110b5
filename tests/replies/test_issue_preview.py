"""The last look before 发文: the letter as it will be issued, with the number it will get,
marked as a preview; looking does not take the number nor store anything."""
from __future__ import annotations

import io
import re
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from tests.replies.test_letter_issue import _signed, _text
from tracker.audit.models import AuditEvent
from tracker.core.time import today
from tracker.extensions import db
from tracker.replies.models import DocSeries, Reply


def _pypdf_text(pdf: bytes) -> str:
    """Text in content order: the slanted watermark comes out whole (pdfplumber sorts its
    characters into the lines they cross)."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _issue(clerk, assignment_id: int):
    page = clerk.get(f"/assignments/{assignment_id}/actions/issue").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    return clerk.post_form(f"/assignments/{assignment_id}/actions/issue", {"version": version})


def _state(app, assignment_id: int):
    with app.app_context():
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == assignment_id))
        return (db.session.scalar(select(func.max(DocSeries.last_number))),
                reply.doc_number, reply.issued_at, reply.pdf_name,
                db.session.scalar(select(func.count()).select_from(AuditEvent)),
                sorted(p.name for p in Path(current_app.config["LETTER_DIR"]).glob("*.pdf")))


def test_the_preview_shows_the_next_number_and_issuing_takes_it(app, world, make_client):
    first, second = _signed(app, world), _signed(app, world)
    clerk = make_client()
    clerk.login("health_clerk")
    assert _issue(clerk, first).status_code == 302  # the series is at 1
    year = today().year
    expected = f"吉卫复议字〔{year}〕2号"

    page = clerk.get(f"/assignments/{second}/actions/issue").get_data(as_text=True)
    assert f"下一个发文字号<strong>{expected}</strong>" in page
    assert f'href="/assignments/{second}/issue-preview.pdf"' in page and "预览发文稿（PDF）" in page

    before = _state(app, second)
    assert before[0] == 1 and before[1] is None
    for _ in range(2):  # looking twice takes nothing either
        preview = clerk.get(f"/assignments/{second}/issue-preview.pdf")
        assert preview.status_code == 200 and preview.mimetype == "application/pdf"
        text = _pypdf_text(preview.data)
        assert expected in text and "预览稿，非正式文件" in text
        assert expected in _text(preview.data)
    assert _state(app, second) == before  # no number taken, nothing stored, nothing logged

    assert _issue(clerk, second).status_code == 302
    with app.app_context():
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == second))
        assert reply.doc_number == expected
    issued = _pypdf_text(clerk.get(f"/assignments/{second}/letter.pdf").data)
    assert expected in issued and "预览稿" not in issued


def test_only_who_may_issue_previews_and_only_before_issue(app, world, make_client):
    assignment_id = _signed(app, world)
    drafter = make_client()
    drafter.login("health_drafter")
    assert drafter.get(f"/assignments/{assignment_id}/issue-preview.pdf").status_code == 403
    other = make_client()
    other.login("edu_clerk")
    assert other.get(f"/assignments/{assignment_id}/issue-preview.pdf").status_code == 404
    clerk = make_client()
    clerk.login("health_clerk")
    assert _issue(clerk, assignment_id).status_code == 302
    assert clerk.get(f"/assignments/{assignment_id}/issue-preview.pdf").status_code == 409

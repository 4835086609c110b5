"""The letter in the app: previews, and the PDF rendered once at issue and kept unchanged."""
from __future__ import annotations

import hashlib
import io
from types import SimpleNamespace

import pdfplumber
from sqlalchemy import select

from tests.support.handling import _model_for, bring_to
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.replies.models import DocSeries, Reply


def _text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "\n".join(page.extract_text() or "" for page in doc.pages)


def _bring(app, world, state: str) -> int:
    """An assignment in the given state, committed, built in its own app context (the
    test client's requests must not share it)."""
    with app.test_request_context():
        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(world).items()})
        assignment = bring_to(w, state)
        db.session.commit()
        return assignment.id


def _signed(app, world):
    return _bring(app, world, "signed")


def test_issue_renders_stores_and_serves_the_letter_unchanged(app, world, make_client):
    assignment_id = _signed(app, world)
    clerk = make_client()
    clerk.login("health_clerk")
    page = clerk.get(f"/assignments/{assignment_id}/actions/issue")
    version = page.get_data(as_text=True).split('name="version"')[1].split('value="')[1]
    version = version.split('"')[0]
    response = clerk.post_form(f"/assignments/{assignment_id}/actions/issue",
                               {"version": version})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == assignment_id))
        assert reply.doc_number.startswith("吉卫复议字〔") and reply.doc_number.endswith("〕1号")
        digest, number = reply.pdf_sha256, reply.doc_number
    first = clerk.get(f"/assignments/{assignment_id}/letter.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert hashlib.sha256(first.data).hexdigest() == digest
    text = _text(first.data)
    assert number in text and "刘洋" in text  # the number and the contact are on the letter
    # Served from the stored file ever after: the same bytes, whatever changes later.
    assert clerk.get(f"/assignments/{assignment_id}/letter.pdf").data == first.data
    other = make_client()
    other.login("edu_clerk")
    assert other.get(f"/assignments/{assignment_id}/letter.pdf").status_code == 404


def test_a_failed_render_leaves_the_reply_unissued_and_retryable(app, world, make_client,
                                                                  monkeypatch):
    import tracker.letters

    assignment_id = _signed(app, world)

    def broken(data, timeout=None):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr(tracker.letters, "render_letter_report", broken)
    clerk = make_client()
    clerk.login("health_clerk")
    response = clerk.post_form(f"/assignments/{assignment_id}/actions/issue")
    assert response.status_code == 503
    assert "答复函生成失败" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).state == "signed"
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == assignment_id))
        assert reply.doc_number is None and reply.pdf_name is None
        assert db.session.scalar(select(DocSeries.last_number)) in (None, 0)
    monkeypatch.undo()
    assert clerk.post_form(f"/assignments/{assignment_id}/actions/issue").status_code == 302
    with app.app_context():
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == assignment_id))
        assert reply.doc_number.endswith("〕1号")  # the failed attempt used no number


def test_draft_preview_is_watermarked_and_unit_bound(app, world, make_client):
    assignment_id = _bring(app, world, "first_review")
    drafter = make_client()
    drafter.login("health_drafter")
    response = drafter.get(f"/assignments/{assignment_id}/letter-preview.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    assert "草" in text and "代表建议的答复" in text
    assert "〕" not in text.split("代表建议的答复")[0]  # no document number on a draft
    other = make_client()
    other.login("edu_clerk")
    assert other.get(f"/assignments/{assignment_id}/letter-preview.pdf").status_code == 404


def _first_line(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return (doc.pages[0].extract_text() or "").splitlines()[0]


def test_a_unit_set_to_letterhead_gets_the_red_heading(app, world, make_client):
    assignment_id = _bring(app, world, "first_review")
    drafter = make_client()
    drafter.login("health_drafter")
    plain = drafter.get(f"/assignments/{assignment_id}/letter-preview.pdf").data
    assert "省卫生健康委员会" not in _first_line(plain)
    admin = make_client()
    admin.login("admin")
    page = admin.get(f"/admin/units/{world.health}/edit").get_data(as_text=True)
    assert "信函格式" in page
    # 信函格式 is a choice of the letter style of the item's kind (here: suggestions).
    form = {"kind": "suggestion", "style-suggestion-print_doc_number": "y",
            "style-suggestion-signer_line": "none", "style-suggestion-print_review_trail": "y",
            "style-suggestion-class_mark": "letter", "style-suggestion-letterhead": "y"}
    assert admin.post_form(f"/admin/units/{world.health}/letter-styles", form).status_code == 302
    headed = drafter.get(f"/assignments/{assignment_id}/letter-preview.pdf").data
    with pdfplumber.open(io.BytesIO(headed)) as doc:
        top = [c for c in doc.pages[0].chars if c["top"] < 40 * 72 / 25.4]
    assert "".join(c["text"] for c in top).startswith("省卫生健康委员会")
    colour = top[0]["non_stroking_color"]
    assert colour[0] > 0.7 and colour[1] < 0.2 and colour[2] < 0.2  # red

"""Letter styles in the letter: 文号, 签发人, review trail, class mark and 信函格式 per unit
and kind of item; the draft's 抄送 from the style; the style named on the draft and review
pages; and one issued letter per preset, read back from the stored PDF."""
from __future__ import annotations

import html as htmllib
import io
from types import SimpleNamespace

import flask_migrate
import pdfplumber
import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

from tests import factories
from tests.support.base import build_app, fresh_database
from tests.support.handling import _model_for, bring_to, latest_id, write_draft
from tests.support.replies import approve_chain
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import Assignment
from tracker.letters.inputs import parse
from tracker.proposals.models import ItemKind
from tracker.replies import operations as replies
from tracker.replies import queries, styles
from tracker.replies.letter import letter_data
from tracker.replies.models import Reply
from tracker.replies.styles import SIGNER_PENDING, ClassMark, SignerLine

NUMBER = "吉卫复议字〔2026〕7号"
REVIEWERS = {"first": "陈初审", "second": "周复审", "final": "吴终审"}


def _set(w, kind=ItemKind.suggestion, **changes):
    """Give health's letters of the kind the provincial style with these changes."""
    values = {**styles.PRESETS["provincial"].values(), "cc_default": "", **changes}
    return styles.update_letter_style(w.admin, w.health, kind, **values)


def _signed(w):
    assignment = bring_to(w, "signed")
    reply = queries.current_reply(assignment)
    return assignment, reply


@pytest.fixture
def count_queries(ctx):
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield statements
    event.remove(Engine, "before_cursor_execute", record)


# -- finding the style ------------------------------------------------------------------------


def test_a_unit_without_a_style_prints_in_the_provincial_preset(w, count_queries):
    style = styles.style_for(w.health, ItemKind.proposal)
    assert len(count_queries) == 1
    assert style.name == "省级部门答复" and style.description == "省级部门答复（文号、审核栏）"
    assert (style.print_doc_number, style.signer_line, style.print_review_trail,
            style.class_mark, style.letterhead, style.cc_default) == (
        True, SignerLine.none, True, ClassMark.letter, False, "")
    assert db.session.scalar(select(styles.LetterStyle)) is None  # nothing was stored


def test_the_style_of_each_kind_is_found_in_one_query(w, count_queries):
    styles.apply_letter_style_preset(w.admin, w.health, "proposal", "city_cppcc")
    count_queries.clear()
    found = styles.style_for(w.health, "proposal")
    assert len(count_queries) == 1 and found.name == "市政协提案答复"
    count_queries.clear()
    both = styles.styles_of(w.health)
    assert len(count_queries) == 1
    assert both[ItemKind.proposal].description == "市政协提案答复（签发人、无文号、无审核栏）"
    assert both[ItemKind.suggestion].name == "省级部门答复"
    assert styles.style_for(w.edu, "proposal").name == "省级部门答复"  # another unit's own


# -- letter_data ------------------------------------------------------------------------------


def test_the_provincial_style_prints_number_and_trail_and_no_signer(w):
    assignment, reply = _signed(w)
    data = letter_data(assignment, reply.draft_version, doc_number=NUMBER, reply=reply)
    assert data["doc_number"] == NUMBER
    assert data["signer"] is None
    assert data["reviewers"] == REVIEWERS
    assert data["result_class"] == "A" and data["result_class_label"] is None
    assert "letterhead" not in data
    assert data["style_name"] == "省级部门答复"
    letter = parse(data)  # the renderer takes the input, style name and all
    assert (letter.doc_number, letter.signer, letter.result_class) == (NUMBER, None, "A")
    assert letter.reviewers == "初审：陈初审\u3000\u3000复审：周复审\u3000\u3000终审：吴终审"


def test_the_city_cppcc_style_prints_who_signed_off_and_no_number_nor_trail(w):
    assignment, reply = _signed(w)
    styles.apply_letter_style_preset(w.admin, w.health, "suggestion", "city_cppcc")
    data = letter_data(assignment, reply.draft_version, doc_number=NUMBER, reply=reply)
    assert data["doc_number"] is None
    assert data["signer"] == reply.signer_name == "郑签发"
    assert data["reviewers"] is None
    assert data["result_class"] == "A" and data["result_class_label"] == "A类"
    assert "letterhead" not in data
    assert data["style_name"] == "市政协提案答复"
    letter = parse(data)
    assert (letter.doc_number, letter.signer, letter.result_class, letter.reviewers) == (
        None, "郑签发", "A类", None)
    # Only the letter leaves the number out: the reply keeps its place in the series.
    replies.issue_reply(assignment, w.health_clerk)
    assert db.session.get(Reply, reply.id).doc_number.startswith("吉卫复议字〔")


def test_the_principal_leader_is_printed_whoever_signed_off(w):
    assignment, reply = _signed(w)
    _set(w, signer_line="principal")
    data = letter_data(assignment, reply.draft_version, doc_number=NUMBER, reply=reply)
    assert data["signer"] == "冯主任" and reply.signer_name == "郑签发"
    assert data["doc_number"] == NUMBER and data["reviewers"] == REVIEWERS
    assert data["style_name"] == "自定义样式"


def test_each_choice_of_a_style_reaches_the_letter(w):
    assignment, reply = _signed(w)
    draft = reply.draft_version
    _set(w, print_review_trail=False)
    data = letter_data(assignment, draft, doc_number=NUMBER, reply=reply)
    assert data["reviewers"] is None and data["doc_number"] == NUMBER
    _set(w, print_doc_number=False)
    data = letter_data(assignment, draft, doc_number=NUMBER, reply=reply)
    assert data["doc_number"] is None and data["reviewers"] == REVIEWERS
    _set(w, class_mark="letter_class")
    assert letter_data(assignment, draft, reply=reply)["result_class_label"] == "A类"
    _set(w, letterhead=True)
    data = letter_data(assignment, draft, doc_number=NUMBER, reply=reply)
    assert data["letterhead"] == "省卫生健康委员会"
    assert parse(data).letterhead == "省卫生健康委员会"
    # The proposals' style is another one: this suggestion's letter does not use it.
    styles.apply_letter_style_preset(w.admin, w.health, "proposal", "city_cppcc")
    data = letter_data(assignment, draft, doc_number=NUMBER, reply=reply)
    assert data["doc_number"] == NUMBER and data["signer"] is None


def test_a_preview_names_the_principal_leader_until_someone_signs_off(w):
    assignment = bring_to(w, "final_review")
    styles.apply_letter_style_preset(w.admin, w.health, "suggestion", "city_cppcc")
    draft = queries.latest_draft(assignment)
    assert letter_data(assignment, draft, watermark="草稿")["signer"] == "冯主任"
    w.health.principal_leader = None
    db.session.flush()
    assert letter_data(assignment, draft, watermark="草稿")["signer"] == SIGNER_PENDING
    assert parse(letter_data(assignment, draft)).signer == "（签发时确定）"
    # No placeholder where the style prints no signer.
    styles.apply_letter_style_preset(w.admin, w.health, "suggestion", "provincial")
    assert letter_data(assignment, draft)["signer"] is None


def test_a_preview_after_sign_off_names_who_signed_off(w):
    assignment, reply = _signed(w)
    styles.apply_letter_style_preset(w.admin, w.health, "suggestion", "city_cppcc")
    data = letter_data(assignment, reply.draft_version, watermark="草稿")
    assert data["signer"] == "郑签发" and data["doc_number"] is None


# -- pages ------------------------------------------------------------------------------------


def _world(world) -> SimpleNamespace:
    return SimpleNamespace(**{k: db.session.get(_model_for(k), v) for k, v in vars(world).items()})


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return htmllib.unescape(response.get_data(as_text=True))


def test_a_new_draft_starts_with_the_styles_cc_and_names_the_style(app, world, make_client):
    with app.test_request_context():
        w = _world(world)
        styles.apply_letter_style_preset(w.admin, w.health, "suggestion", "city_cppcc")
        _set(w, kind="proposal", cc_default="省政协提案委员会\n省政府办公厅")
        new = bring_to(w, "drafting")
        db.session.commit()
        new_id = new.id
    drafter = make_client()
    drafter.login("health_drafter")
    page = _page(drafter, f"/assignments/{new_id}/actions/save_draft")
    # A suggestion: the suggestions' style (city CPPCC preset, no 抄送).
    assert "答复函样式：市政协提案答复（签发人、无文号、无审核栏）" in page
    cc = page.split('name="cc"')[1].split("</textarea>")[0]
    assert "省政协" not in cc
    with app.test_request_context():
        w = _world(world)
        _set(w, kind="suggestion", cc_default="省人大人代选委\n省政府办公厅")
        db.session.commit()
    page = _page(drafter, f"/assignments/{new_id}/actions/save_draft")
    cc = page.split('name="cc"')[1].split("</textarea>")[0]
    assert cc.split(">", 1)[1].strip() == "省人大人代选委\n省政府办公厅"
    assert "答复函样式：省级部门答复（文号、审核栏）" in page
    # Once a version exists the editor shows the draft's own 抄送.
    with app.test_request_context():
        w = _world(world)
        assignment = db.session.get(Assignment, new_id)
        write_draft(assignment, w.health_drafter, cc="吉林省政协办公厅")
        db.session.commit()
    page = _page(drafter, f"/assignments/{new_id}/actions/save_draft")
    assert page.split('name="cc"')[1].split("</textarea>")[0].split(">", 1)[1].strip() == \
        "吉林省政协办公厅"


# -- the issued letter, one per preset --------------------------------------------------------


def _pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "\n".join(page.extract_text() or "" for page in doc.pages)


def _signed_item(app, world, meeting_key: str, preset: str) -> int:
    """An item of the meeting led by health, signed off by 郑签发, the kind's style set to the
    preset; committed in its own app context (the test clients' requests must not share it)."""
    with app.test_request_context():
        w = _world(world)
        meeting = getattr(w, meeting_key)
        styles.apply_letter_style_preset(w.admin, w.health, meeting.item_kind, preset)
        title = "关于加强基层卫生人才队伍建设的" + (
            "提案" if meeting.item_kind == ItemKind.proposal else "建议")
        proposal = factories.make_proposal(w.clerk, meeting, title=title)
        (assignment,) = factories.assign(proposal, w.clerk, lead=w.health)
        handling.accept_assignment(assignment, w.health_clerk)
        handling.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                     drafter_id=w.health_drafter.id)
        write_draft(assignment, w.health_drafter)
        replies.submit_review(assignment, w.health_drafter)
        approve_chain(w, assignment)
        replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
        db.session.commit()
        return assignment.id


def _issue(app, make_client, assignment_id: int) -> tuple[str, str, str]:
    """Issue through the page as the unit's clerk: (review page, doc number, letter text)."""
    clerk = make_client()
    clerk.login("health_clerk")
    page = _page(clerk, f"/assignments/{assignment_id}/actions/issue")
    version = page.split('name="version"')[1].split('value="')[1].split('"')[0]
    response = clerk.post_form(f"/assignments/{assignment_id}/actions/issue",
                               {"version": version})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == assignment_id))
        number = reply.doc_number
    letter = clerk.get(f"/assignments/{assignment_id}/letter.pdf")
    assert letter.status_code == 200
    return page, number, _pdf_text(letter.data)


def test_a_letter_issued_in_the_provincial_style(app, world, make_client):
    assignment_id = _signed_item(app, world, "meeting", "provincial")
    page, number, letter = _issue(app, make_client, assignment_id)
    assert "答复函样式：省级部门答复（文号、审核栏）" in page
    assert number.startswith("吉卫复议字〔") and number in letter
    assert "初审：" in letter and "陈初审" in letter
    assert "签发人" not in letter and "A类" not in letter


def test_a_letter_issued_in_the_city_cppcc_style(app, world, make_client):
    assignment_id = _signed_item(app, world, "cppcc", "city_cppcc")
    page, number, letter = _issue(app, make_client, assignment_id)
    assert "答复函样式：市政协提案答复（签发人、无文号、无审核栏）" in page
    assert "委员提案的答复" in letter
    assert "签发人：郑签发" in letter
    assert number.startswith("吉卫复提字〔")  # numbered in the series all the same
    assert number not in letter and "〕1号" not in letter
    assert "初审：" not in letter and "陈初审" not in letter
    assert "A类" in letter


# -- the migration ----------------------------------------------------------------------------


def _style_rows(name: str) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(text(
        "SELECT s.kind, s.print_doc_number, s.signer_line, s.print_review_trail, s.cc_default,"
        " s.class_mark, s.letterhead FROM letter_styles s JOIN units u ON u.id = s.unit_id"
        " WHERE u.name = :name ORDER BY s.kind"), {"name": name})]


def _letterhead(name: str) -> bool:
    return bool(db.session.scalar(text("SELECT letterhead FROM units WHERE name = :name"),
                                  {"name": name}))


def _insert_unit(name: str) -> None:
    """A unit row in the units table as it stands, every required column given a value."""
    import sqlalchemy as sa

    table = sa.Table("units", sa.MetaData(), autoload_with=db.engine)
    values = {"name": name}
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key \
                or column.server_default is not None:
            continue
        kind = column.type.python_type
        values[column.name] = {str: "", bool: False, int: 0}.get(kind, utcnow())
    db.session.execute(table.insert().values(**values))


def test_the_migration_moves_the_units_letterhead_into_both_styles_and_back(tmp_path):
    with fresh_database(tmp_path) as url:
        app = build_app(url, tmp_path)
        with app.app_context():
            flask_migrate.downgrade(revision="f3c9a1b7d2e4")
            db.session.remove()
            # Rows as that revision's table has them (the models are newer than the schema).
            _insert_unit("白城市政协")
            _insert_unit("省教育厅")
            db.session.execute(text("UPDATE units SET letterhead = :on WHERE name = :name"),
                               {"on": True, "name": "白城市政协"})
            db.session.commit()
            db.session.remove()
            flask_migrate.upgrade()
            db.session.remove()
            provincial = (True, "none", True, "", "letter")
            assert _style_rows("白城市政协") == [
                ("proposal", *provincial, True), ("suggestion", *provincial, True)]
            assert _style_rows("省教育厅") == [
                ("proposal", *provincial, False), ("suggestion", *provincial, False)]
            # Back down: a unit is in 信函格式 when either of its styles was.
            db.session.execute(text(
                "UPDATE letter_styles SET letterhead = :off WHERE unit_id IN"
                " (SELECT id FROM units WHERE name = :name)"), {"off": False, "name": "白城市政协"})
            db.session.execute(text(
                "UPDATE letter_styles SET letterhead = :on WHERE kind = 'proposal' AND unit_id IN"
                " (SELECT id FROM units WHERE name = :name)"), {"on": True, "name": "省教育厅"})
            db.session.commit()
            db.session.remove()
            flask_migrate.downgrade(revision="f3c9a1b7d2e4")
            db.session.remove()
            assert not _letterhead("白城市政协") and _letterhead("省教育厅")
            db.session.remove()
            db.engine.dispose()

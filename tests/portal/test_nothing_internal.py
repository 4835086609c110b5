"""Nothing internal reaches the public: markers planted in every internal field of published,
summarised and withheld items (the item's text, its authors' details, contacts, leaders'
instructions, the co-handling opinion, the reviewers' comments, the draft's note, contact
and 抄送, the withheld reply, the full letter of a summarised one) are absent from every
public response: the list, every search, each page, each public PDF, the feed and the
statistics. The published texts themselves are there (the scan sees what it should)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.support.publication import AUTHOR, BODY, issued_reply, pdf_text
from tracker.accounts.models import User
from tracker.commitments import operations as commitments
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.choices import ContactMethod, ContactStage
from tracker.instructions import operations as instructions
from tracker.instructions.choices import InstructionKind
from tracker.publication.models import Publication
from tracker.replies.models import Reply

MARKERS = {
    "proposal_body": "标记建议正文甲",
    "author_organisation": "标记代表团乙",
    "contact_summary": "标记联系记录丙",
    "unit_instruction": "标记单位批示丁",
    "office_instruction": "标记转办意见戊",
    "co_opinion": "标记会办意见己",
    "review_comment": "标记审核意见庚",
    "draft_note": "标记草稿备注辛",
    "draft_contact": "标记联系人壬",
    "draft_cc": "标记抄送单位癸",
    "withheld_reply": "标记不予公开子",
    "summarised_letter": "标记摘要原文丑",
    "commitment": "标记承诺事项寅",
    "commitment_progress": "标记进展情况卯",
    "commitment_not_done": "标记未落实原因辰",
}
AUTHOR_DETAILS = (AUTHOR["phone"], AUTHOR["email"], AUTHOR["address"], "幸福小区")
PUBLIC_WORDS = "2026年安排资金1200万元"  # in BODY: published
SUMMARY = "我委将在南关区建设社区卫生服务站，2027年投入使用。"


def _plant(a, w):
    """The internal records of an item, each with its marker."""
    handling.record_contact(a, w.health_drafter, stage=ContactStage.before,
                            method=ContactMethod.phone, contacted_on=today(),
                            summary=f"电话沟通，{MARKERS['contact_summary']}。")
    instructions.record_instruction(
        a.proposal, w.health_clerk, kind=InstructionKind.unit_principal, assignment=a,
        text=f"请认真办理，{MARKERS['unit_instruction']}。", given_on=today(),
        leader_id=w.health_leader.id, source="paper")
    instructions.record_instruction(
        a.proposal, w.clerk, kind=InstructionKind.transfer,
        text=f"转省卫健委办理，{MARKERS['office_instruction']}。", given_on=today(),
        leader_name="周主任", source="paper")
    co = next(x for x in a.proposal.assignments if x.unit_id == w.hr.id)
    handling.accept_assignment(co, w.hr_clerk)
    handling.submit_opinion(co, w.hr_clerk, text=f"同意主办意见，{MARKERS['co_opinion']}。")
    handling.approve_opinion(co, w.hr_leader)


def _item(app, world, make_client, **kw) -> int:
    author = {**AUTHOR, "organisation": MARKERS["author_organisation"]}
    return issued_reply(
        app, world, make_client, authors=(author,), prepare=_plant, co=("hr",),
        proposal={"body": f"建议加强社区卫生服务，{MARKERS['proposal_body']}。"},
        draft={"note": MARKERS["draft_note"], "contact_name": MARKERS["draft_contact"],
               "cc": MARKERS["draft_cc"], "result_class": "B"},
        comment=f"同意，{MARKERS['review_comment']}。", **kw)


@pytest.fixture()
def published(app, world, make_client):
    """A fully published item, a summarised one and a withheld one, all with markers."""
    full = _item(app, world, make_client)
    summary = _item(app, world, make_client, publication="summary", summary=SUMMARY,
                    body=f"{BODY}\n{MARKERS['summarised_letter']}。")
    withheld = _item(app, world, make_client, disclosure="not_public", publication="withheld",
                     body=f"{BODY}\n{MARKERS['withheld_reply']}。")
    with app.test_request_context():  # the B reply's commitments, followed inside
        reply = db.session.get(Reply, full)
        clerk_user = db.session.get(User, world.health_clerk)
        promised = commitments.add_commitment(
            reply, clerk_user, what=f"2027年底前完成，{MARKERS['commitment']}。",
            due_on=today() + timedelta(days=100), section_id=world.health_section)
        commitments.report_progress(promised, clerk_user, reported_on=today(),
                                    text=f"已完成选址，{MARKERS['commitment_progress']}。")
        commitments.close_commitment(promised, clerk_user, outcome="not_done",
                                     note=f"资金未落实，{MARKERS['commitment_not_done']}。")
        db.session.commit()
    clerk = make_client()
    clerk.login("health_clerk")
    for reply_id in (full, summary, withheld):
        clerk.post_form(f"/replies/{reply_id}/publish", {"confirm": "1"})
    with app.app_context():
        rows = db.session.scalars(select(Publication).order_by(Publication.id)).all()
        assert [r.reply_id for r in rows] == [full, summary]  # the withheld one never
        meeting_id = rows[0].reply.assignment.proposal.meeting_id
        return [r.id for r in rows], meeting_id


def _public_responses(client, ids: list[int], meeting_id: int):
    """(url, text) of every public response there is for these publications."""
    urls = ["/public/", "/public/feed.atom", "/public/statistics",
            f"/public/statistics?meeting={meeting_id}", f"/public/?meeting={meeting_id}",
            f"/public/?year={date.today().year}", "/public/?q=社区卫生服务站",
            "/public/?q=建议", "/public/?q=标记"]
    urls += [f"/public/?q={m}" for m in (*MARKERS.values(), *AUTHOR_DETAILS)]
    urls += [f'/public/?q="{m}"' for m in MARKERS.values()]
    for publication_id in ids:
        urls.append(f"/public/{publication_id}")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        if "q=" in url:  # the results only: the page repeats what was typed
            text = text.split('id="result-count"', 1)[1].split("</p>", 1)[1]
        yield url, text
    for publication_id in ids:
        response = client.get(f"/public/{publication_id}.pdf")
        assert response.status_code == 200
        yield f"/public/{publication_id}.pdf", pdf_text(response.data)


def test_no_internal_text_reaches_a_public_response(app, world, make_client, published):
    ids, meeting_id = published
    client = make_client()
    seen = dict(_public_responses(client, ids, meeting_id))
    for url, text in seen.items():
        for field, marker in MARKERS.items():
            assert marker not in text, (url, field)
        for detail in AUTHOR_DETAILS:
            assert detail not in text, (url, detail)
    # The scan reads what is published: the full letter's words, the summary.
    assert PUBLIC_WORDS in seen[f"/public/{ids[0]}"] and PUBLIC_WORDS in seen[f"/public/{ids[0]}.pdf"]
    assert "2027年投入使用" in seen[f"/public/{ids[1]}"]
    assert "2027年投入使用" in seen[f"/public/{ids[1]}.pdf"]
    assert PUBLIC_WORDS in seen["/public/feed.atom"]
    assert f'href="/public/{ids[0]}"' in seen["/public/?q=社区卫生服务站"]
    # A marker searched finds nothing at all.
    for marker in MARKERS.values():
        assert "没有找到符合条件的公开答复" in seen[f"/public/?q={marker}"], marker


def test_the_inside_search_still_finds_the_internal_text(app, world, make_client, published):
    """(The markers are really in the index: the public search's silence is its rule.)"""
    clerk = make_client()
    clerk.login("clerk")
    for marker in (MARKERS["proposal_body"], MARKERS["contact_summary"],
                   MARKERS["withheld_reply"]):
        page = clerk.get("/search", query_string={"q": marker}).get_data(as_text=True)
        assert "没有找到" not in page and "<mark>" in page, marker

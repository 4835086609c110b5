"""An issued reply to publish: rendered, signed and stored through the issue page."""
from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pdfplumber
from sqlalchemy import select

from tests import factories
from tests.support.handling import _model_for, latest_id, write_draft
from tracker.extensions import db
from tracker.handling import operations
from tracker.proposals.models import Disclosure
from tracker.replies import operations as replies
from tracker.replies.models import Reply

AUTHOR = {"name": "赵春雨", "phone": "13904361234", "email": "zhao.chunyu@163.com",
          "address": "长春市南关区幸福小区3栋2单元"}
BODY = ("一、基本情况\n您反映的长春市南关区幸福小区3栋2单元周边缺少社区卫生服务站的问题，我委已派员核实。\n"
        "二、下一步工作\n（一）加快建设\n我委已与王某某所在的物业公司沟通，请其提供用房；如有疑问请拨打13904361234。\n"
        "（二）资金保障\n2026年安排资金1200万元，申请人身份证号220802198503150021的补助已发放。")


CREDIT_CODE = "112202813400415897"  # 蛟河市卫生健康局's, as its disclosure pages print it


def issued_reply(app, world, make_client, *, disclosure="public", publication="full",
                 summary="", credit_code=CREDIT_CODE, body=BODY, authors=(AUTHOR,),
                 prepare=None, proposal=None, draft=None, comment="", co=()) -> int:
    """An issued reply (through the page: rendered, signed and stored); its id. prepare(a, w)
    adds to the accepted and dispatched assignment before its draft; proposal and draft: more
    fields of the item and of the draft; comment: the reviewers' and the signer's; co: world
    keys of co-handling units."""
    with app.test_request_context():
        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(world).items()})
        w.health.credit_code = credit_code
        a, *_ = factories.assign(factories.make_proposal(
            w.clerk, w.meeting, authors=list(authors), **(proposal or {})),
            w.clerk, lead=w.health, co=[getattr(w, k) for k in co])
        operations.accept_assignment(a, w.health_clerk)
        operations.dispatch_assignment(a, w.health_clerk, section_id=w.health_section.id,
                                       drafter_id=w.health_drafter.id)
        if prepare is not None:  # more on the item before the draft (its internal records)
            prepare(a, w)
        write_draft(a, w.health_drafter, body=body, disclosure=Disclosure(disclosure),
                    publication=publication, withhold_reason="privacy"
                    if publication == "withheld" else "", public_summary=summary,
                    **(draft or {}))
        replies.submit_review(a, w.health_drafter)
        replies.approve_draft(a, w.health_first, seen_version_id=latest_id(a),
                              redact_words="王某某", comment=comment)
        for reviewer in (w.health_second, w.health_final):
            replies.approve_draft(a, reviewer, seen_version_id=latest_id(a), comment=comment)
        replies.sign_reply(a, w.health_signer, seen_version_id=latest_id(a), comment=comment)
        db.session.commit()
        assignment_id = a.id
    clerk = make_client()
    clerk.login("health_clerk")
    page = clerk.get(f"/assignments/{assignment_id}/actions/issue").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    assert clerk.post_form(f"/assignments/{assignment_id}/actions/issue",
                           {"version": version}).status_code == 302
    with app.app_context():
        return db.session.scalar(select(Reply.id).where(Reply.assignment_id == assignment_id))


def pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "".join((page.extract_text() or "") for page in doc.pages).replace("\n", "")



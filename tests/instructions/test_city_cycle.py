"""The issue's whole story on a city CPPCC item: the office's 转办意见, a leader's 签办, the unit
leader's instruction, a co-handling opinion approved and numbered, the reply, the rating with
a score and the office's grade — and the 办理单 shows each in its cell."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests import factories
from tests.instructions.test_sheet import rows_of
from tests.support.handling import latest_id, write_draft
from tracker.accounts.models import Role
from tracker.audit.models import AuditEvent
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import UnitRole
from tracker.instructions import operations
from tracker.instructions.choices import InstructionKind as K
from tracker.instructions.sheet import render_sheets
from tracker.proposals import operations as proposals
from tracker.proposals.models import Body, Level
from tracker.ratings import operations as ratings
from tracker.ratings.models import RatingChannel
from tracker.ratings.queries import issued_reply
from tracker.replies import operations as replies
from tracker.replies.models import ReplyForm

TRANSFER = "请鲁朗同志阅。呈请吴昱同志阅示、拟转市卫健委办理。"


def test_a_city_cppcc_item_from_transfer_to_grade_on_its_sheet(w):
    meeting = proposals.create_meeting(w.clerk, level=Level.city, body=Body.cppcc,
                                       region="四平市", term=9, session=4, year=today().year)
    assert meeting.name == "四平市政协九届四次会议"
    proposal = factories.make_proposal(
        w.clerk, meeting, number="0040", title="关于加强社区卫生服务中心建设的提案",
        authors=[{"name": "赵菁", "phone": "13900000000"}])
    day = today() - timedelta(days=2)
    operations.record_instruction(proposal, w.clerk, kind=K.transfer, text=TRANSFER,
                                  given_on=day, leader_name="市政府办公室", source="paper")
    asked = operations.request_instruction(proposal, w.clerk, kind=K.sign_off,
                                           leader_id=w.office_leader.id)
    operations.give_instruction(asked, w.office_leader, text="同意。", given_on=day)
    lead, co = factories.assign(proposal, w.clerk, lead=w.health, co=[w.edu])

    # The unit requires its leader's word before a drafter gets it: asked at 签收.
    w.health.instruction_before_dispatch = True
    handling.accept_assignment(lead, w.health_clerk)
    (waiting,) = operations.waiting_for(w.health_leader)
    operations.give_instruction(waiting, w.health_leader, given_on=today(),
                                text="请基层卫生健康处牵头办理，按期答复委员。")
    handling.dispatch_assignment(lead, w.health_clerk, section_id=w.health_section.id,
                                 drafter_id=w.health_drafter.id)

    # edu (no 会办 prefix of its own) sends its opinion through its leader.
    edu_leader = factories.make_user("edu_leader", w.edu, Role.leader, full_name="钟厅长")
    handling.accept_assignment(co, w.edu_clerk)
    handling.submit_opinion(co, w.edu_clerk, text="同意主办单位意见，我厅将配合做好相关工作。")
    opinion = handling.approve_opinion(co, edu_leader)
    assert opinion.doc_number and opinion.doc_number.startswith("省教育厅会字〔")

    write_draft(lead, w.health_drafter, result_class="A", reply_form=ReplyForm.written)
    replies.submit_review(lead, w.health_drafter)
    for reviewer in (w.health_first, w.health_second, w.health_final):
        replies.approve_draft(lead, reviewer, seen_version_id=latest_id(lead))
    replies.sign_reply(lead, w.health_signer, seen_version_id=latest_id(lead))
    replies.issue_reply(lead, w.health_clerk)
    (author,) = proposal.authors
    ratings.submit_rating(issued_reply(lead), author, {
        "handling": "satisfied", "result": "satisfied", "handling_score": "96",
        "result_score": "92", "contacted": "yes", "contact_method": "face",
        "comments": "办理认真。"}, channel=RatingChannel.paper, actor=w.clerk)
    ratings.close_item(proposal, w.clerk, grade="good")
    operations.record_instruction(proposal, w.office_leader, kind=K.result_review,
                                  text="答复满意，办结。", given_on=today())
    db.session.refresh(proposal)

    (page,) = rows_of(render_sheets([proposal], w.clerk))
    assert page["_title"] == "四平市政协九届四次会议提案办理单"
    assert page["提案号"][0] == "0040" and page["提案号"][2] == "赵菁"
    assert TRANSFER in page["省政府办公厅转办意见"][0]
    assert "同意。" in page["领导签办意见"][0] and "吴昱" in page["领导签办意见"][0]
    assert "请基层卫生健康处牵头办理，按期答复委员。" in page["承办单位主要领导办理意见"][0]
    assert "冯主任" in page["承办单位主要领导办理意见"][0]
    assert f"省教育厅（会办，会办意见{opinion.doc_number}）" in page["承办单位"][0]
    assert page["责任科室及责任人"][0] == "基层卫生健康处刘承办"
    assert "答复满意，办结。" in page["领导审阅办理结果意见"][0]
    assert "√书面答复" in page["答复时间"][2]
    assert "√满意（90分及以上）" in page["提案办理结果满意度评价"][0]
    assert "赵菁：满意（92分）" in page["提案办理结果满意度评价"][0]
    assert "√A类" in page["办理落实情况类别"][0]
    assert "√好" in page["省政府办公厅评价"][0]

    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.proposal_id == proposal.id).order_by(AuditEvent.seq)).all()
    for expected in ("instruction_given", "instruction_requested", "approve_opinion", "close"):
        assert expected in actions
    assert actions.count("instruction_given") == 4
    assert lead.role == UnitRole.lead

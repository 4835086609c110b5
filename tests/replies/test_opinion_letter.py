"""The 会办意见函 of an approved opinion: its text in order, and who may open it."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests import factories
from tests.support.urging import pdf_text
from tracker.accounts.models import Unit, User
from tracker.accounts.operations import issue_token
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import operations
from tracker.proposals.models import Meeting

OPINION = ("经研究，我厅提出如下会办意见：\n"
           "一、关于职称评审\n"
           "我厅将继续落实基层卫生专业技术人员职称评审倾斜政策。\n"
           "二、关于招聘\n"
           "支持乡镇卫生院按规定简化招聘程序。")


def _opinion(app, world, *, approve: bool = True) -> tuple[int, int, int]:
    """Item 212 of the meeting, led by health, hr co-handling; hr's drafter (with a phone)
    writes the opinion, hr's leader approves it. (co assignment, opinion, item) ids."""
    with app.test_request_context():
        get = db.session.get
        clerk = get(User, world.clerk)
        proposal = factories.make_proposal(clerk, get(Meeting, world.meeting), number="0212")
        _, co = factories.assign(proposal, clerk, lead=get(Unit, world.health),
                                 co=[get(Unit, world.hr)])
        hr_clerk, drafter = get(User, world.hr_clerk), get(User, world.hr_drafter)
        drafter.phone = "0431-88901234"
        operations.accept_assignment(co, hr_clerk)
        operations.dispatch_assignment(co, hr_clerk, section_id=world.hr_section,
                                       drafter_id=drafter.id)
        opinion = operations.submit_opinion(co, drafter, text=OPINION)
        if approve:
            operations.approve_opinion(co, get(User, world.hr_leader))
        db.session.commit()
        return co.id, opinion.id, proposal.id


def test_the_letter_holds_number_title_addressee_text_and_signature_in_order(
        app, make_client, world):
    co_id, opinion_id, pid = _opinion(app, world)
    client = make_client()
    client.login("health_clerk")  # the lead unit
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    url = f"/assignments/{co_id}/opinions/{opinion_id}/letter.pdf"
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = re.sub(r"\s+", "", pdf_text(response.data))
    year, day = today().year, today()
    parts = [f"吉人社会字〔{year}〕1号",
             "关于省十四届人大三次会议第0212号代表建议的会办意见",
             "省卫生健康委员会：", "经研究，我厅提出如下会办意见：", "一、关于职称评审",
             "我厅将继续落实基层卫生专业技术人员职称评审倾斜政策。", "二、关于招聘",
             "支持乡镇卫生院按规定简化招聘程序。", "省人力资源和社会保障厅",
             f"{day.year}年{day.month}月{day.day}日", "（联系人：马承办电话：0431-88901234）"]
    positions = [text.find(part) for part in parts]
    assert -1 not in positions, list(zip(parts, positions))
    assert positions == sorted(positions), list(zip(parts, positions))
    # hr, its leader and the office open it too; edu (not on the item) does not.
    for user, status in (("hr_clerk", 200), ("hr_leader", 200), ("clerk", 200),
                         ("edu_clerk", 404)):
        other = make_client()
        other.login(user)
        assert other.get(url).status_code == status, user
    # The API serves the same letter to the same people.
    with app.test_request_context():
        tokens = {name: issue_token(db.session.scalar(select(User).where(
            User.username == name)), "t") for name in ("health_clerk", "edu_clerk")}
        db.session.commit()
    api = make_client()

    def by_api(user):
        return api.get("/api/v1" + url, headers={"Authorization": f"Bearer {tokens[user]}"})

    assert by_api("edu_clerk").status_code == 404
    answer = by_api("health_clerk")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert f"吉人社会字〔{year}〕1号" in pdf_text(answer.data)


def test_a_pending_opinion_has_no_letter(app, make_client, world):
    co_id, opinion_id, pid = _opinion(app, world, approve=False)
    url = f"/assignments/{co_id}/opinions/{opinion_id}/letter.pdf"
    for user in ("hr_clerk", "health_clerk"):
        client = make_client()
        client.login(user)
        assert client.get(url).status_code == 404, user
        assert url not in client.get(f"/proposals/{pid}").get_data(as_text=True)
    # Nor is an opinion a letter of another assignment.
    client = make_client()
    client.login("hr_clerk")
    assert client.get(f"/assignments/{co_id + 1000}/opinions/{opinion_id}/letter.pdf"
                      ).status_code == 404


def test_half_width_punctuation_as_offices_type_it_prints_full_width(app, world):
    """Real text from a provincial notice (../shared/samples), typed with half-width commas
    and brackets, prints in the letter's full-width punctuation, its paragraphs kept."""
    from tracker.handling.models import CoOpinion
    from tracker.replies.opinion_letter import paragraphs

    typed = ("(一)大力推广三明市医改经验。以药品集中采购和使用为突破口,进一步深化医药卫生体制改革。"
             "(省医改领导小组秘书处、各相关部门按职责分工负责)\n二、推进药品耗材集中采购")
    assert [(p.level, p.text) for p in paragraphs(typed)] == [
        (2, "（一）大力推广三明市医改经验。以药品集中采购和使用为突破口，进一步深化医药卫生体制改革。"
            "（省医改领导小组秘书处、各相关部门按职责分工负责）"),
        (1, "二、推进药品耗材集中采购")]
    co_id, opinion_id, _ = _opinion(app, world)
    with app.test_request_context():
        from tracker.handling.models import Assignment
        from tracker.replies.opinion_letter import render_opinion_letter

        opinion = db.session.get(CoOpinion, opinion_id)
        opinion.text = typed
        text = pdf_text(render_opinion_letter(db.session.get(Assignment, co_id), opinion))
        db.session.rollback()
    flat = re.sub(r"\s+", "", text)
    assert "突破口，进一步" in flat and "（省医改领导小组秘书处" in flat and "," not in flat

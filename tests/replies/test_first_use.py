"""What a drafter and a signer trying the reply pages for the first time see."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.support.handling import bring_to, world_rows
from tracker.extensions import db
from tracker.replies.models import DraftVersion


def _at(app, world, state: str) -> int:
    with app.test_request_context():
        assignment = bring_to(world_rows(world), state)
        db.session.commit()
        return assignment.id


def _label(page: str, name: str) -> str:
    return re.search(rf'<label class="form-label" for="{name}">([^<]*)</label>', page).group(1)


def test_the_signer_writes_a_signing_opinion(app, make_client, world):
    assignment_id = _at(app, world, "awaiting_signature")
    signer = make_client()
    signer.login("health_signer")
    page = signer.get(f"/assignments/{assignment_id}/actions/sign").get_data(as_text=True)
    assert _label(page, "comment") == "签发意见"
    page = signer.get(f"/assignments/{assignment_id}/actions/return_draft").get_data(as_text=True)
    assert _label(page, "comment") == "签发意见"
    # A reviewer's page keeps its own words.
    reviewer_item = _at(app, world, "first_review")
    first = make_client()
    first.login("health_first")
    page = first.get(f"/assignments/{reviewer_item}/actions/approve").get_data(as_text=True)
    assert _label(page, "comment") == "审核意见"


def test_the_result_class_is_not_chosen_for_the_drafter(app, make_client, world):
    assignment_id = _at(app, world, "drafting")
    drafter = make_client()
    drafter.login("health_drafter")
    page = drafter.get(f"/assignments/{assignment_id}/actions/save_draft").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="result_class".*?</select>', page, re.S).group(0)
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select_html)
    assert options[0][1] == "（请选择）"
    assert [label for attrs, label in options if "selected" in attrs] in ([], ["（请选择）"])

    response = drafter.post_form(f"/assignments/{assignment_id}/actions/save_draft", {
        "base_number": "0", "body": "一、基本情况\n我委高度重视。", "result_class": "",
        "reply_form": "written", "disclosure": "public"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    field = page.split('name="result_class"')[1].split('<div class="mb-3')[0]
    assert "请选择办理结果类别" in field
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DraftVersion)) == 0

"""A unit's reply settings: review chain, multi-level approval, principal leader, closing,
document-number prefixes."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.admin.helpers import field_errors, fieldset_errors
from tests.support.base import load
from tracker.accounts.models import Unit
from tracker.audit.log import details_of
from tracker.audit.models import AuditEvent
from tracker.extensions import db


def _settings(world, **changes) -> dict:
    data = {
        "settings-review_levels": ["first", "second", "final"],
        "settings-allow_multi_level": "",
        "settings-principal_leader_id": str(world.health_leader),
        "settings-closing_default": "感谢您对卫生健康工作的关心和支持。",
        "settings-prefix_suggestion": "吉卫复议字",
        "settings-prefix_proposal": "吉卫复提字",
        "settings-prefix_co_opinion": "吉卫会字",
    }
    data.update({f"settings-{k}": v for k, v in changes.items()})
    return {k: v for k, v in data.items() if v is not None}


def _unit(app, unit_id: int) -> Unit:
    with app.app_context():
        unit = load(Unit, unit_id)
        db.session.expunge(unit)
        return unit


def test_the_unit_page_shows_the_current_settings(app, admin, world):
    page = admin.get(f"/admin/units/{world.health}/edit").get_data(as_text=True)
    assert "答复办理设置" in page
    assert 'value="吉卫复议字"' in page and 'value="吉卫复提字"' in page
    assert 'value="吉卫会字"' in page
    assert f'<option selected value="{world.health_leader}">冯主任' in page
    for index, level in enumerate(("first", "second", "final")):
        assert (f'<input checked class="form-check-input" id="settings-review_levels-{index}" '
                f'name="settings-review_levels" type="checkbox" value="{level}">') in page
    # Only the unit's own users are offered as principal leader.
    leader_select = page.split('name="settings-principal_leader_id"')[1].split("</select>")[0]
    assert "郑签发" in leader_select and "何联络" not in leader_select
    # A unit that typed no 会办意见 prefix is told the default its opinions are numbered under.
    edu = admin.get(f"/admin/units/{world.edu}/edit").get_data(as_text=True)
    assert 'placeholder="省教育厅会字"' in edu and "留空则使用「省教育厅会字」" in edu
    # The supervising office does not answer items: no reply settings.
    office = admin.get(f"/admin/units/{world.office}/edit").get_data(as_text=True)
    assert "答复办理设置" not in office


def test_admin_saves_the_settings_and_they_are_logged(app, admin, world):
    response = admin.post_form(f"/admin/units/{world.hr}/settings", _settings(
        world, review_levels=["final", "first"], allow_multi_level="y",
        principal_leader_id=str(world.hr_clerk), closing_default="  感谢您的关心。 ",
        prefix_suggestion="吉人社复议字", prefix_proposal="吉人社复提字",
        prefix_co_opinion="吉人社会字"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/units/{world.hr}/edit")
    unit = _unit(app, world.hr)
    assert unit.review_levels == "first,final"  # stored in the fixed order
    assert unit.allow_multi_level is True
    assert unit.principal_leader_id == world.hr_clerk
    assert unit.closing_default == "感谢您的关心。"
    assert (unit.prefix_suggestion, unit.prefix_proposal, unit.prefix_co_opinion) == (
        "吉人社复议字", "吉人社复提字", "吉人社会字")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "update_unit_settings").order_by(AuditEvent.seq.desc()))
        assert event.actor_id == world.admin and event.object_id == world.hr
        changed = details_of(event)["changed"]
        assert changed["review_levels"] == {"from": "first,second,final", "to": "first,final"}
        assert changed["prefix_suggestion"]["to"] == "吉人社复议字"
    page = admin.get(f"/admin/units/{world.hr}/edit").get_data(as_text=True)
    assert "答复办理设置已保存" in page


def test_the_chain_needs_at_least_one_level(app, admin, world):
    response = admin.post_form(f"/admin/units/{world.health}/settings",
                               _settings(world, review_levels=None))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert fieldset_errors(html, "settings-review_levels") == ["请至少选择一级审核。"]
    assert _unit(app, world.health).review_levels == "first,second,final"


def test_an_unknown_level_is_refused(app, admin, world):
    response = admin.post_form(f"/admin/units/{world.health}/settings",
                               _settings(world, review_levels=["first", "fourth"]))
    assert response.status_code == 422
    assert _unit(app, world.health).review_levels == "first,second,final"


def test_the_principal_leader_must_belong_to_the_unit(app, admin, world):
    response = admin.post_form(f"/admin/units/{world.health}/settings",
                               _settings(world, principal_leader_id=str(world.hr_clerk)))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, "settings-principal_leader_id") == ["主要负责人必须是本单位的用户。"]
    assert _unit(app, world.health).principal_leader_id == world.health_leader
    response = admin.post_form(f"/admin/units/{world.health}/settings",
                               _settings(world, principal_leader_id="99999"))
    assert response.status_code == 422


def test_no_principal_leader_is_allowed(app, admin, world):
    response = admin.post_form(f"/admin/units/{world.health}/settings",
                               _settings(world, principal_leader_id="0"))
    assert response.status_code == 302
    assert _unit(app, world.health).principal_leader_id is None


@pytest.mark.parametrize("prefix, message", [
    ("吉卫复议字〔2026〕", "前缀不含年份括号"),
    ("吉卫复议字2", "前缀不能以数字结尾"),
    ("吉卫复议字２", "前缀不能以数字结尾"),
    ("吉卫 复议字", "前缀中不能有空格"),
    ("吉" * 31, "30"),
    ("吉人社会字", "「省人力资源和社会保障厅」已使用该前缀"),
])
def test_bad_prefixes_are_refused_on_their_field(app, admin, world, prefix, message):
    response = admin.post_form(f"/admin/units/{world.health}/settings",
                               _settings(world, prefix_suggestion=prefix))
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), "settings-prefix_suggestion")
    assert errors and message in errors[0], errors
    assert _unit(app, world.health).prefix_suggestion == "吉卫复议字"


def test_one_prefix_for_two_kinds_is_refused(app, admin, world):
    response = admin.post_form(f"/admin/units/{world.health}/settings",
                               _settings(world, prefix_proposal="吉卫复议字"))
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), "settings-prefix_proposal")
    assert errors and errors[0].startswith("与建议答复的前缀相同")
    assert _unit(app, world.health).prefix_proposal == "吉卫复提字"


def test_empty_prefixes_and_closing_are_allowed(app, admin, world):
    response = admin.post_form(f"/admin/units/{world.edu}/settings", _settings(
        world, principal_leader_id="0", closing_default="", prefix_suggestion="",
        prefix_proposal="", prefix_co_opinion=""))
    assert response.status_code == 302
    unit = _unit(app, world.edu)
    assert unit.prefix_suggestion == "" and unit.closing_default == ""


def test_only_administrators_change_unit_settings(app, client, world):
    client.login("health_clerk")
    response = client.post_form(f"/admin/units/{world.health}/settings",
                                _settings(world, prefix_suggestion="改掉了字"))
    assert response.status_code == 403
    assert _unit(app, world.health).prefix_suggestion == "吉卫复议字"


def test_a_shorter_chain_takes_effect_for_the_next_submission(app, admin, world):
    """With only 初审 configured, an approval at 初审 goes straight to 待签发."""
    from tests import factories
    from tracker.accounts.models import User
    from tracker.handling import operations as handling
    from tracker.handling.models import Assignment
    from tracker.proposals.models import Disclosure, Meeting
    from tracker.replies import operations as replies
    from tracker.replies.models import ReplyForm

    assert admin.post_form(f"/admin/units/{world.health}/settings",
                           _settings(world, review_levels=["first"])).status_code == 302
    with app.test_request_context():
        def user(key):
            return db.session.get(User, getattr(world, key))

        proposal = factories.make_proposal(user("clerk"), db.session.get(Meeting, world.meeting))
        (assignment,) = factories.assign(proposal, user("clerk"),
                                         lead=db.session.get(Unit, world.health))
        handling.accept_assignment(assignment, user("health_clerk"))
        handling.dispatch_assignment(assignment, user("health_clerk"),
                                     section_id=world.health_section,
                                     drafter_id=world.health_drafter)
        version = replies.save_draft(assignment, user("health_drafter"), body="一、情况",
                                     result_class="A", reply_form=ReplyForm.written,
                                     disclosure=Disclosure.public, base_number=None)
        replies.submit_review(assignment, user("health_drafter"))
        assert assignment.state == "first_review"
        replies.approve_draft(assignment, user("health_first"), seen_version_id=version.id)
        assert db.session.get(Assignment, assignment.id).state == "awaiting_signature"
        db.session.rollback()

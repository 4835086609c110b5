"""Reply templates: they fill drafts (the saved version and the issued letter hold the filled
text), placeholders come from each item, a unit's templates are its own, input is checked."""
from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pdfplumber
import pytest
from sqlalchemy import func, select

from tests import factories
from tests.support.handling import _model_for, bring_to, latest_id, write_draft
from tests.support.replies import approve_chain
from tracker.core.errors import Hidden, PermissionDenied, ValidationFailed
from tracker.extensions import db
from tracker.proposals.models import Body
from tracker.replies import operations as replies
from tracker.replies import templates
from tracker.replies.models import DraftVersion, Reply, ReplyTemplate
from tracker.replies.queries import latest_draft

OPENING = ("{您}在{会议名称}上提出的《{建议标题}》（第{编号}号）收悉，"
           "感谢{代表姓名}对卫生健康工作的关心。{经商}现答复如下：")
CLOSING = "再次感谢您对{单位名称}工作的关心和支持，欢迎继续提出宝贵意见。"
NEXT = "下一步，我委将继续加大基层卫生人才培养力度，推动政策落地见效。"
MODEL = "一、基本情况\n近年来，我委围绕《{建议标题}》所提问题开展了大量工作。\n二、下一步工作\n继续推进。"


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ReplyTemplate))


def _make(w, kind, text, name=None, unit="health", actor=None):
    unit_row = getattr(w, unit) if unit else None
    return templates.create_template(unit_row, actor or w.health_clerk, kind=kind,
                                     name=name or f"{kind}模板", text=text)


def _pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return re.sub(r"\s", "", "".join(page.extract_text() or "" for page in doc.pages))


# -- templates fill drafts -------------------------------------------------------------------

def test_templates_fill_the_draft_and_the_issued_letter(app, world, make_client):
    with app.test_request_context():
        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(world).items()})
        proposal = factories.make_proposal(w.clerk, w.meeting, number="0212",
                                           title="关于加强乡村医生队伍建设的建议",
                                           authors=[{"name": "赵菁"}])
        (a,) = factories.assign(proposal, w.clerk, lead=w.health)
        from tracker.handling import operations

        operations.accept_assignment(a, w.health_clerk)
        operations.dispatch_assignment(a, w.health_clerk, section_id=w.health_section.id,
                                       drafter_id=w.health_drafter.id)
        write_draft(a, w.health_drafter, body="一、基本情况\n我委高度重视乡村医生队伍建设。")
        opening = _make(w, "opening", OPENING)
        closing = _make(w, "closing", CLOSING)
        nxt = _make(w, "next_steps", NEXT)
        for template in (opening, closing, nxt):
            version = templates.apply_template(a, template, w.health_drafter)
        assert version.number == 4 and version.source == "template"
        assert version.note == "套用下一步工作模板“next_steps模板”"
        assert version.opening == ("您在省十四届人大三次会议上提出的《关于加强乡村医生队伍建设的建议》"
                                   "（第0212号）收悉，感谢赵菁对卫生健康工作的关心。现答复如下：")
        assert version.closing == "再次感谢您对省卫生健康委员会工作的关心和支持，欢迎继续提出宝贵意见。"
        assert version.body.splitlines() == ["一、基本情况", "我委高度重视乡村医生队伍建设。", NEXT]
        # The earlier versions stay as they were: applying saves a new one each time.
        assert [v.number for v in db.session.scalars(select(DraftVersion).where(
            DraftVersion.assignment_id == a.id).order_by(DraftVersion.number))] == [1, 2, 3, 4]
        replies.submit_review(a, w.health_drafter)
        approve_chain(w, a)
        replies.sign_reply(a, w.health_signer, seen_version_id=latest_id(a))
        db.session.commit()
        assignment_id = a.id
    clerk = make_client()
    clerk.login("health_clerk")
    assert clerk.post_form(f"/assignments/{assignment_id}/actions/issue").status_code == 302
    text = _pdf_text(clerk.get(f"/assignments/{assignment_id}/letter.pdf").data)
    assert "感谢赵菁对卫生健康工作的关心" in text and "（第0212号）收悉" in text
    assert "再次感谢您对省卫生健康委员会工作的关心和支持" in text
    assert NEXT in text
    with app.app_context():
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == assignment_id))
        assert reply.draft_version.number == 4


def test_placeholders_come_from_each_items_own_authors_and_number(w):
    template = _make(w, "opening", OPENING)
    npc = bring_to(w, "drafting")
    cppcc_item = factories.make_proposal(
        w.clerk, w.cppcc, number="0040", title="《关于完善医保异地结算的提案》",
        authors=[{"name": "陈明"}, {"name": "王芳"}])
    (cppcc, _) = factories.assign(cppcc_item, w.clerk, lead=w.health, co=[w.hr])
    assert templates.fill(template.text, npc) == (
        f"您在省十四届人大三次会议上提出的《关于加强基层卫生人才队伍建设的建议》"
        f"（第{npc.proposal.number}号）收悉，感谢李华对卫生健康工作的关心。现答复如下：")
    assert templates.fill(template.text, cppcc) == (
        "您们在省政协十三届三次会议上提出的《关于完善医保异地结算的提案》（第0040号）收悉，"
        "感谢陈明等对卫生健康工作的关心。经商省人力资源和社会保障厅，现答复如下：")
    # Full-width braces, as a Chinese input method types them, work the same.
    assert templates.fill("｛代表姓名｝代表", npc) == "李华代表"


def test_a_template_applied_to_several_items_fills_each_with_its_own_data(w):
    """What a 并案 group does: one template, every member's draft filled for that member."""
    template = _make(w, "opening", OPENING)
    items = []
    for name, number in (("赵菁", "0101"), ("孙伟", "0102")):
        a = bring_to(w, "drafting")
        a.proposal.number, a.proposal.authors[0].name = number, name
        write_draft(a, w.health_drafter)
        items.append(a)
    for a in items:
        templates.apply_template(a, template, w.health_drafter)
    first, second = (latest_draft(a) for a in items)
    assert "（第0101号）" in first.opening and "感谢赵菁" in first.opening
    assert "（第0102号）" in second.opening and "感谢孙伟" in second.opening


def test_next_steps_goes_after_the_cursors_line_and_a_model_asks_before_replacing(w):
    a = bring_to(w, "drafting")
    write_draft(a, w.health_drafter, body="一、基本情况\n我委高度重视。\n二、存在问题\n经费不足。")
    nxt = _make(w, "next_steps", NEXT)
    model = _make(w, "model", MODEL)
    values = {"body": "一、基本情况\n我委高度重视。\n二、存在问题\n经费不足。"}
    inserted = templates.filled_values(a, nxt, values, position=3)  # inside the first line
    assert inserted["body"].splitlines() == [
        "一、基本情况", NEXT, "我委高度重视。", "二、存在问题", "经费不足。"]
    with pytest.raises(templates.ReplaceNeedsConfirmation) as refused:
        templates.apply_template(a, model, w.health_drafter)
    assert "确认" in refused.value.errors["template_id"][0]
    assert latest_draft(a).number == 1  # nothing saved
    version = templates.apply_template(a, model, w.health_drafter, replace=True)
    assert version.body.splitlines()[1] == (
        "近年来，我委围绕《关于加强基层卫生人才队伍建设的建议》所提问题开展了大量工作。")
    assert version.result_class == "A" and version.contact_name == "刘洋"  # the rest kept


def test_a_first_draft_from_a_model_needs_its_result_class(w):
    a = bring_to(w, "drafting")
    model = _make(w, "model", MODEL)
    with pytest.raises(ValidationFailed) as refused:
        templates.apply_template(a, model, w.health_drafter)
    assert "result_class" in refused.value.errors
    values = templates.current_values(a) | {"result_class": "B"}
    version = templates.apply_template(a, model, w.health_drafter, values=values, base_number=0)
    assert version.number == 1 and version.body.startswith("一、基本情况")
    assert version.closing == "感谢您对卫生健康工作的关心和支持。"  # the unit's default stays


# -- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,name,text,field,message", [
    ("opening", "开头", "{代表名字}您好", "text", "没有这样的占位符：{代表名字}"),
    ("opening", "开头", "{代表姓名代表：", "text", "少写了"),
    ("closing", "结尾", "感谢您的关心。\n欢迎再提意见。", "text", "结束语只能是一段话"),
    ("closing", "结尾", "感" * 201, "text", "结束语不能超过 200 个字"),
    ("opening", "  ", "您好。", "name", "请填写模板名称"),
    ("opening", "开头", "   ", "text", "请填写模板内容"),
    ("", "开头", "您好。", "kind", "请选择模板类别"),
])
def test_bad_templates_are_refused_beside_the_field_and_nothing_is_saved(
        w, kind, name, text, field, message):
    before = _count()
    with pytest.raises(ValidationFailed) as refused:
        templates.create_template(w.health, w.health_clerk, kind=kind, name=name, text=text)
    assert any(message in m for m in refused.value.errors[field]), refused.value.errors
    assert _count() == before


def test_a_name_is_unique_per_unit_and_kind_and_punctuation_is_made_full_width(w):
    made = templates.create_template(w.health, w.health_clerk, kind="closing", name="通用结束语",
                                     text="感谢您的关心,欢迎继续提出意见!")
    assert made.text == "感谢您的关心，欢迎继续提出意见！"
    assert made.notices and "2 处半角标点" in made.notices[0]
    with pytest.raises(ValidationFailed) as refused:
        templates.create_template(w.health, w.health_signer, kind="closing", name="通用结束语",
                                  text="谢谢。")
    assert "已有同名的结束语模板" in refused.value.errors["name"][0]
    # Another unit, or another kind, may use the name.
    templates.create_template(w.hr, w.hr_clerk, kind="closing", name="通用结束语", text="谢谢。")
    templates.create_template(w.health, w.health_clerk, kind="opening", name="通用结束语",
                              text="您好。")
    edited = templates.update_template(made, w.health_signer, kind="closing", name="通用结束语",
                                       text="感谢您对{单位名称}工作的支持。")
    assert edited.updated_by_id == w.health_signer.id and "{单位名称}" in edited.text


# -- permissions -----------------------------------------------------------------------------

def test_only_the_units_clerk_signers_and_leaders_keep_its_templates(w):
    for editor in (w.health_clerk, w.health_signer, w.health_leader):
        assert templates.can_manage_templates(editor, w.health)
    for outsider in (w.health_drafter, w.health_first, w.hr_clerk, w.clerk, w.admin):
        assert not templates.can_manage_templates(outsider, w.health)
        with pytest.raises(PermissionDenied):
            templates.create_template(w.health, outsider, kind="closing", name="x", text="谢谢。")
    made = _make(w, "closing", CLOSING)
    with pytest.raises(PermissionDenied):
        templates.update_template(made, w.hr_clerk, kind="closing", name="x", text="谢谢。")
    with pytest.raises(PermissionDenied):
        templates.set_template_active(made, w.health_drafter, False)


def test_another_units_template_cannot_be_used_and_a_disabled_one_is_not_offered(w):
    health_template = _make(w, "closing", CLOSING)
    hr_template = _make(w, "closing", "谢谢。", unit="hr", actor=w.hr_clerk)
    a = bring_to(w, "drafting")
    write_draft(a, w.health_drafter)
    assert templates.usable_templates(a) == [health_template]
    with pytest.raises(Hidden):
        templates.apply_template(a, hr_template, w.health_drafter)
    templates.set_template_active(health_template, w.health_clerk, False)
    assert templates.usable_templates(a) == []
    with pytest.raises(ValidationFailed) as refused:
        templates.apply_template(a, health_template, w.health_drafter)
    assert "已停用" in refused.value.message
    assert latest_draft(a).number == 1


def test_office_wide_defaults_are_kept_by_the_admin_and_offered_to_every_unit(w):
    with pytest.raises(PermissionDenied):
        templates.create_template(None, w.health_clerk, kind="closing", name="通用", text="谢谢。")
    office = templates.create_template(None, w.admin, kind="closing", name="通用结束语",
                                       text="感谢您对我们工作的关心和支持。")
    own = _make(w, "closing", CLOSING)
    a = bring_to(w, "drafting")
    write_draft(a, w.health_drafter)
    assert templates.usable_templates(a) == [own, office]  # the unit's own first
    version = templates.apply_template(a, office, w.health_drafter)
    assert version.closing == "感谢您对我们工作的关心和支持。"


# -- pages -----------------------------------------------------------------------------------

def _ids(app, world, state="drafting"):
    with app.test_request_context():
        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(world).items()})
        a = bring_to(w, state)
        if state == "drafting":
            write_draft(a, w.health_drafter, body="一、基本情况\n我委高度重视。")
        opening = _make(w, "opening", OPENING, name="通用开头语")
        model = _make(w, "model", MODEL, name="人才类范文")
        hr = _make(w, "closing", "谢谢。", unit="hr", actor=w.hr_clerk)
        db.session.commit()
        return SimpleNamespace(assignment=a.id, opening=opening.id, model=model.id, hr=hr.id,
                               number=a.proposal.number)


def test_the_template_pages_belong_to_their_unit(app, world, make_client):
    ids = _ids(app, world)
    clerk = make_client()
    clerk.login("health_clerk")
    page = clerk.get(f"/units/{world.health}/reply-templates")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "通用开头语" in html and "添加模板" in html
    assert "谢谢。" not in html  # hr's template
    drafter = make_client()
    drafter.login("health_drafter")
    html = drafter.get(f"/units/{world.health}/reply-templates").get_data(as_text=True)
    assert "通用开头语" in html and "添加模板" not in html and "停用" not in html
    assert drafter.post_form(f"/units/{world.health}/reply-templates",
                             {"kind": "closing", "name": "x", "text": "谢谢。"}).status_code == 403
    assert drafter.get(f"/reply-templates/{ids.opening}/edit").status_code == 403
    hr = make_client()
    hr.login("hr_clerk")
    assert hr.get(f"/units/{world.health}/reply-templates").status_code == 404
    assert hr.get(f"/reply-templates/{ids.opening}/edit").status_code == 404
    assert hr.post_form(f"/reply-templates/{ids.opening}/active",
                        {"active": "0"}).status_code == 404
    assert hr.post_form(f"/units/{world.health}/reply-templates",
                        {"kind": "closing", "name": "x", "text": "谢谢。"}).status_code == 404
    # The editor of another unit's draft is not theirs either; nor is applying to it.
    assert hr.post_form(f"/assignments/{ids.assignment}/drafts/template",
                        {"template_id": ids.hr}).status_code in (403, 404)


def test_creating_editing_and_disabling_through_the_page(app, world, make_client):
    _ids(app, world)
    clerk = make_client()
    clerk.login("health_clerk")
    url = f"/units/{world.health}/reply-templates"
    bad = clerk.post_form(url, {"kind": "closing", "name": "结尾", "text": "感谢{代表}的支持。"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "没有这样的占位符：{代表}" in html
    assert 'class="invalid-feedback d-block">没有这样的占位符' in html  # beside the field
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReplyTemplate).where(
            ReplyTemplate.name == "结尾")) == 0
    good = clerk.post_form(url, {"kind": "closing", "name": "结尾", "text": "感谢您的支持!"})
    assert good.status_code == 302
    with app.app_context():
        made = db.session.scalar(select(ReplyTemplate).where(ReplyTemplate.name == "结尾"))
        assert made.text == "感谢您的支持！" and made.created_by.username == "health_clerk"
        made_id = made.id
    assert clerk.post_form(f"/reply-templates/{made_id}/edit",
                           {"kind": "closing", "name": "结尾", "text": "谢谢您。"}).status_code == 302
    assert clerk.post_form(f"/reply-templates/{made_id}/active", {"active": "0"}).status_code == 302
    with app.app_context():
        made = db.session.get(ReplyTemplate, made_id)
        assert made.text == "谢谢您。" and not made.is_active


def _editor_fields(html: str) -> dict:
    """The draft form's fields as the editor page fills them."""
    fields = {}
    form = html.split('class="card draft-form"')[1].split("</form>")[0]
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form):
        fields[name] = value
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(?:\r?\n)?(.*?)</textarea>',
                                  form, re.S):
        fields[name] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected',
                           body)
        fields[name] = next((g for g in chosen.groups() if g), "") if chosen else ""
    fields.pop("template_id", None)
    return {k: v.replace("&#34;", '"').replace("&amp;", "&") for k, v in fields.items()}


def test_the_editor_offers_the_units_templates_and_applies_one_without_javascript(
        app, world, make_client):
    ids = _ids(app, world)
    drafter = make_client()
    drafter.login("health_drafter")
    editor = f"/assignments/{ids.assignment}/actions/save_draft"
    html = drafter.get(editor).get_data(as_text=True)
    assert 'class="card mb-3 template-picker"' in html
    assert "通用开头语" in html and "人才类范文" in html and "谢谢。" not in html
    # Each option carries its text filled for this item, for the page's script.
    assert f"（第{ids.number}号）收悉，感谢李华" in html
    fields = _editor_fields(html)
    assert fields["body"].startswith("一、基本情况") and fields["result_class"] == "A"
    apply = f"/assignments/{ids.assignment}/drafts/template"
    response = drafter.post_form(apply, fields | {"template_id": ids.opening})
    assert response.status_code == 302 and response.location.endswith(editor)
    with app.app_context():
        version = db.session.scalar(select(DraftVersion).where(
            DraftVersion.assignment_id == ids.assignment).order_by(DraftVersion.number.desc()))
        assert version.number == 2 and version.source == "template"
        assert f"（第{ids.number}号）收悉" in version.opening
        assert version.body == "一、基本情况\n我委高度重视。"
    # A model over a typed body asks first, keeping what was typed; confirmed, it replaces.
    fields = _editor_fields(drafter.get(editor).get_data(as_text=True))
    asked = drafter.post_form(apply, fields | {"template_id": ids.model, "body": "改过的正文。"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422 and "确认替换正文并保存" in html and "改过的正文。" in html
    confirmed = drafter.post_form(apply, fields | {"template_id": ids.model, "replace": "1"})
    assert confirmed.status_code == 302
    with app.app_context():
        version = db.session.scalar(select(DraftVersion).where(
            DraftVersion.assignment_id == ids.assignment).order_by(DraftVersion.number.desc()))
        assert version.number == 3 and version.body.startswith("一、基本情况\n近年来")
    # No template picked, or another unit's: refused, nothing saved.
    fields = _editor_fields(drafter.get(editor).get_data(as_text=True))
    none = drafter.post_form(apply, fields)
    assert none.status_code == 422 and "请选择要套用的模板" in none.get_data(as_text=True)
    assert drafter.post_form(apply, fields | {"template_id": ids.hr}).status_code == 404
    # A stale editor: someone saved meanwhile.
    stale = drafter.post_form(apply, fields | {"template_id": ids.opening, "base_number": "1"})
    assert stale.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DraftVersion).where(
            DraftVersion.assignment_id == ids.assignment)) == 3


def test_no_picker_for_a_unit_without_templates_says_how_to_get_some(app, world, make_client):
    with app.test_request_context():
        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(world).items()})
        a = bring_to(w, "drafting")
        db.session.commit()
        assignment_id = a.id
    drafter = make_client()
    drafter.login("health_drafter")
    html = drafter.get(f"/assignments/{assignment_id}/actions/save_draft").get_data(as_text=True)
    assert "本单位还没有答复模板" in html and "可请单位联络员添加" in html


def test_the_cppcc_placeholder_names_work_too(w):
    meeting = factories.make_meeting(w.clerk, body=Body.cppcc, term=12)
    item = factories.make_proposal(w.clerk, meeting, number="7", title="关于发展托育服务的提案",
                                   authors=[{"name": "何旭明"}])
    (a,) = factories.assign(item, w.clerk, lead=w.health)
    assert templates.fill("尊敬的{委员姓名}委员：《{提案标题}》第{编号}号", a) == \
        "尊敬的何旭明委员：《关于发展托育服务的提案》第7号"

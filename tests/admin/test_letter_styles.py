"""A unit's letter styles on its settings page: presets applied with one click, adjusted and
saved per kind of item, every change logged, bad input refused next to its field."""
from __future__ import annotations

import html as htmllib

from sqlalchemy import func, select

from tests.admin.helpers import field_errors
from tracker.accounts.models import Unit
from tracker.audit.log import details_of
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.proposals.models import ItemKind
from tracker.replies.styles import ClassMark, LetterStyle, SignerLine

CITY = "市政协提案答复（签发人、无文号、无审核栏）"
PROVINCIAL = "省级部门答复（文号、审核栏）"


def _url(world) -> str:
    return f"/admin/units/{world.health}/letter-styles"


def _apply(kind: str, preset: str) -> dict:
    return {"kind": kind, f"style-{kind}-preset": preset, "apply": "y"}


def _save(kind: str, **values) -> dict:
    """The style form of the kind as the page posts it (unchecked boxes are left out)."""
    fields = {"print_doc_number": "y", "signer_line": "none", "print_review_trail": "y",
              "class_mark": "letter", "letterhead": "", "cc_default": "",
              "preset": "provincial"}
    fields.update(values)
    data = {f"style-{kind}-{name}": value for name, value in fields.items() if value != ""}
    data["kind"] = kind
    return data


def _styles(app, unit_id: int) -> dict[ItemKind, dict]:
    with app.app_context():
        db.session.expire_all()
        rows = db.session.scalars(select(LetterStyle).where(LetterStyle.unit_id == unit_id))
        return {row.kind: row.values() for row in rows}


def _events(app) -> list[dict]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "update_letter_style").order_by(AuditEvent.seq))
        return [{"actor_id": e.actor_id, "object_id": e.object_id, **details_of(e)}
                for e in events]


def _page(admin, world) -> str:
    return htmllib.unescape(
        admin.get(f"/admin/units/{world.health}/edit").get_data(as_text=True))


def test_the_settings_page_shows_both_kinds_in_the_default_style(app, admin, world):
    page = _page(admin, world)
    section = page.split('id="letter-styles"')[1]
    assert "答复函样式" in page
    assert "代表建议答复" in section and "委员提案答复" in section
    assert section.count(f"当前：{PROVINCIAL}") == 2
    for kind in ("suggestion", "proposal"):
        assert f'name="style-{kind}-preset"' in section
        assert f'name="style-{kind}-cc_default"' in section
    assert ">省级部门答复</option>" in section and ">市政协提案答复</option>" in section
    assert section.count(">套用</button>") == 2
    # The letterhead moved from the unit's settings into the styles.
    assert 'name="settings-letterhead"' not in page
    office = admin.get(f"/admin/units/{world.office}/edit").get_data(as_text=True)
    assert "答复函样式" not in office


def test_applying_a_preset_sets_that_kind_only_and_is_logged(app, admin, world):
    response = admin.post_form(_url(world), _apply("proposal", "city_cppcc"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/units/{world.health}/edit#letter-styles")
    assert _styles(app, world.health) == {ItemKind.proposal: {
        "print_doc_number": False, "signer_line": SignerLine.signer,
        "print_review_trail": False, "class_mark": ClassMark.letter_class,
        "letterhead": False, "cc_default": ""}}
    (event,) = _events(app)
    assert event["actor_id"] == world.admin and event["object_id"] == world.health
    assert event["kind"] == "proposal" and event["preset"] == "city_cppcc"
    assert event["style"] == "市政协提案答复"
    assert event["changed"] == {
        "print_doc_number": {"from": True, "to": False},
        "signer_line": {"from": "none", "to": "signer"},
        "print_review_trail": {"from": True, "to": False},
        "class_mark": {"from": "letter", "to": "letter_class"}}
    page = _page(admin, world)
    assert f"委员提案答复样式已设为：{CITY}。" in page
    proposal_form = page.split("letter-style-proposal")[1]
    assert f"当前：{CITY}" in proposal_form
    assert '<option selected value="city_cppcc">' in proposal_form
    assert f"当前：{PROVINCIAL}" in page.split("letter-style-proposal")[0]


def test_a_preset_is_adjusted_and_saved(app, admin, world):
    assert admin.post_form(_url(world), _apply("suggestion", "city_cppcc")).status_code == 302
    response = admin.post_form(_url(world), _save(
        "suggestion", print_doc_number="", signer_line="signer", print_review_trail="",
        class_mark="letter_class", letterhead="y",
        cc_default=" 省人大人代选委 \n\n省政府办公厅\n", preset="city_cppcc"))
    assert response.status_code == 302
    assert _styles(app, world.health)[ItemKind.suggestion] == {
        "print_doc_number": False, "signer_line": SignerLine.signer,
        "print_review_trail": False, "class_mark": ClassMark.letter_class,
        "letterhead": True, "cc_default": "省人大人代选委\n省政府办公厅"}
    applied, saved = _events(app)
    assert "preset" not in saved and saved["style"] == "自定义样式"
    assert saved["changed"] == {"letterhead": {"from": False, "to": True},
                                "cc_default": {"from": "", "to": "省人大人代选委\n省政府办公厅"}}
    page = _page(admin, world)
    assert "当前：自定义样式（签发人、无文号、无审核栏、信函格式）" in page
    assert "省人大人代选委\n省政府办公厅</textarea>" in page
    # Applying a preset again keeps the unit's 抄送.
    admin.post_form(_url(world), _apply("suggestion", "provincial"))
    style = _styles(app, world.health)[ItemKind.suggestion]
    assert style["print_doc_number"] is True and style["letterhead"] is False
    assert style["cc_default"] == "省人大人代选委\n省政府办公厅"


def test_the_principal_leader_may_be_printed_as_signer(app, admin, world):
    response = admin.post_form(_url(world), _save("proposal", signer_line="principal"))
    assert response.status_code == 302
    assert _styles(app, world.health)[ItemKind.proposal]["signer_line"] == SignerLine.principal


def _refused(app, admin, world, data: dict, field: str) -> list[str]:
    response = admin.post_form(_url(world), data)
    assert response.status_code == 422
    page = htmllib.unescape(response.get_data(as_text=True))
    assert "答复函样式有误，请按提示修改" in page or "请选择要套用的预设样式" in page
    assert _styles(app, world.health) == {} and _events(app) == []
    return field_errors(page, field)


def test_too_many_cc_lines_are_refused_next_to_the_field(app, admin, world):
    cc = "\n".join(f"抄送单位{n}" for n in range(21))
    errors = _refused(app, admin, world, _save("suggestion", cc_default=cc),
                      "style-suggestion-cc_default")
    assert errors == ["默认抄送最多 20 行（现有 21 行）。"]


def test_a_long_cc_line_is_refused_next_to_the_field(app, admin, world):
    cc = "省政府办公厅\n" + "长" * 101
    errors = _refused(app, admin, world, _save("proposal", cc_default=cc),
                      "style-proposal-cc_default")
    assert len(errors) == 1 and errors[0].startswith("每行最多 100 个字符（第 2 行「长")


def test_the_longest_allowed_cc_is_saved(app, admin, world):
    # 20 lines of up to 100 characters, within the 2000 the draft's 抄送 field takes.
    cc = "\n".join("长" * (100 if n else 81) for n in range(20))
    assert len(cc) == 2000
    assert admin.post_form(_url(world), _save("proposal", cc_default=cc)).status_code == 302
    assert _styles(app, world.health)[ItemKind.proposal]["cc_default"] == cc


def test_a_cc_longer_than_the_drafts_field_is_refused(app, admin, world):
    cc = "\n".join("长" * 100 for _ in range(20))
    errors = _refused(app, admin, world, _save("suggestion", cc_default=cc),
                      "style-suggestion-cc_default")
    assert errors == ["默认抄送合计最多 2000 个字符（现有 2019 个）。"]


def test_the_principal_leader_needs_to_be_set_first(app, admin, world):
    with app.app_context():
        db.session.get(Unit, world.health).principal_leader_id = None
        db.session.commit()
    errors = _refused(app, admin, world, _save("suggestion", signer_line="principal"),
                      "style-suggestion-signer_line")
    assert len(errors) == 1 and errors[0].startswith("本单位尚未指定主要负责人")


def test_unknown_choices_are_refused_in_chinese(app, admin, world):
    assert _refused(app, admin, world, _save("suggestion", signer_line="mayor"),
                    "style-suggestion-signer_line") == ["请选择签发人的印法。"]
    assert _refused(app, admin, world, _save("suggestion", class_mark="AA"),
                    "style-suggestion-class_mark") == ["请选择类别标记的印法。"]
    assert _refused(app, admin, world, _apply("proposal", "national"),
                    "style-proposal-preset") == ["请选择要套用的预设样式。"]


def test_a_post_without_its_kind_is_refused(app, admin, world):
    data = _save("suggestion")
    del data["kind"]
    response = admin.post_form(_url(world), data)
    assert response.status_code == 400
    assert "页面数据有误（缺少答复类型）" in response.get_data(as_text=True)
    assert _styles(app, world.health) == {}


def test_only_administrators_change_letter_styles(app, client, world):
    client.login("health_clerk")
    response = client.post_form(_url(world), _apply("proposal", "city_cppcc"))
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(LetterStyle.id))) == 0

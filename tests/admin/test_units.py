"""Units and sections: list, create, edit, add a section."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.admin.helpers import field_errors
from tracker.accounts.models import Section, Unit
from tracker.audit.models import AuditEvent
from tracker.extensions import db


def unit_named(name: str) -> Unit | None:
    db.session.expire_all()
    return db.session.scalar(select(Unit).where(Unit.name == name))


def unit_count() -> int:
    return db.session.scalar(select(func.count(Unit.id)))


def test_units_list_links_units_and_counts_users(app, admin, world):
    html = admin.get("/admin/units").get_data(as_text=True)
    assert f'href="/admin/units/{world.health}/edit"' in html
    assert "省卫生健康委员会" in html and "医政医管处、基层卫生健康处" in html
    # Eight users of the health commission, all enabled, linked to the filtered user list.
    assert f'<a href="/admin/users?unit={world.health}">8 / 8</a>' in html
    assert "交办（督办）单位" in html


def test_admin_creates_a_unit_with_sections(app, admin, world):
    response = admin.post_form("/admin/units/new", {
        "name": "省民政厅", "short_name": "民政厅", "is_supervising": "",
        "sections": "社会救助处、养老服务处\n社会救助处，办公室",
    })
    assert response.status_code == 302
    with app.app_context():
        unit = unit_named("省民政厅")
        assert unit is not None and unit.short_name == "民政厅" and not unit.is_supervising
        assert sorted(s.name for s in unit.sections) == sorted(["社会救助处", "养老服务处", "办公室"])
        assert response.headers["Location"].endswith(f"/admin/units/{unit.id}/edit")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "create_unit")
                                  .order_by(AuditEvent.seq.desc()))
        assert event.object_id == unit.id and event.actor_id == world.admin
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "已新建单位「省民政厅」。" in page and "养老服务处" in page
    listing = admin.get("/admin/units").get_data(as_text=True)
    assert "省民政厅" in listing and "0 / 0" in listing


def test_duplicate_unit_name_is_refused_on_the_name_field(app, admin, world):
    with app.app_context():
        before = unit_count()
    response = admin.post_form("/admin/units/new", {"name": "省卫生健康委员会",
                                                    "sections": "新处室"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, "name") == ["已有名为「省卫生健康委员会」的单位。"]
    with app.app_context():
        assert unit_count() == before
        assert db.session.scalar(select(Section).where(Section.name == "新处室")) is None


def test_unit_name_is_required_and_sections_are_checked(app, admin, world):
    response = admin.post_form("/admin/units/new", {"name": "  ", "sections": "处" * 101})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, "name") == ["此项必须填写。"]
    assert field_errors(html, "sections")[0].startswith("处室名称最多 100 个字符")


def test_admin_edits_a_unit(app, admin, world):
    response = admin.post_form(f"/admin/units/{world.edu}/edit", {
        "name": "吉林省教育厅", "short_name": "省教育厅", "is_supervising": "",
        # is_active left out: the check box is cleared
    })
    assert response.status_code == 302
    with app.app_context():
        db.session.expire_all()
        unit = db.session.get(Unit, world.edu)
        assert unit.name == "吉林省教育厅" and unit.is_active is False
    html = admin.get("/admin/units").get_data(as_text=True)
    assert "吉林省教育厅" in html and "停用" in html


def test_renaming_a_unit_to_another_units_name_is_refused(app, admin, world):
    response = admin.post_form(f"/admin/units/{world.edu}/edit", {
        "name": "省人力资源和社会保障厅", "short_name": "", "is_active": "y"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "name") == [
        "已有名为「省人力资源和社会保障厅」的单位。"]
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(Unit, world.edu).name == "省教育厅"


def test_admin_adds_a_section_and_a_duplicate_is_refused(app, admin, world):
    response = admin.post_form(f"/admin/units/{world.hr}/sections",
                               {"section-name": "职业能力建设处"})
    assert response.status_code == 302
    with app.app_context():
        db.session.expire_all()
        names = [s.name for s in db.session.get(Unit, world.hr).sections]
        assert "职业能力建设处" in names
    response = admin.post_form(f"/admin/units/{world.hr}/sections",
                               {"section-name": "职业能力建设处"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "section-name") == [
        "本单位已有「职业能力建设处」。"]
    with app.app_context():
        count = db.session.scalar(select(func.count(Section.id)).where(
            Section.unit_id == world.hr, Section.name == "职业能力建设处"))
        assert count == 1


def test_missing_unit_is_404(admin, world):
    assert admin.get("/admin/units/999999/edit").status_code == 404

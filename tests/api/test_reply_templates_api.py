"""GET /units/{id}/reply-templates: a unit's templates for its own people only."""
from __future__ import annotations

from tracker.accounts.models import Unit, User
from tracker.extensions import db
from tracker.replies import templates


def test_a_unit_lists_its_templates_and_the_office_wide_ones(app, api, tokens, world):
    with app.test_request_context():
        health = db.session.get(Unit, world.health)
        clerk = db.session.get(User, world.health_clerk)
        templates.create_template(health, clerk, kind="closing", name="结束语",
                                  text="感谢您对{单位名称}工作的支持。")
        stopped = templates.create_template(health, clerk, kind="opening", name="旧开头语",
                                            text="您好。")
        templates.set_template_active(stopped, clerk, False)
        templates.create_template(None, db.session.get(User, world.admin), kind="closing",
                                  name="通用结束语", text="谢谢。")
        db.session.commit()
    items = api.get(f"/units/{world.health}/reply-templates", tokens.health_drafter,
                    expect=200).get_json()["items"]
    assert [(t["name"], t["kind"], t["is_active"], t["unit_id"]) for t in items] == [
        ("旧开头语", "opening", False, world.health),
        ("结束语", "closing", True, world.health),
        ("通用结束语", "closing", True, None)]
    assert items[1]["text"] == "感谢您对{单位名称}工作的支持。" and items[1]["kind_label"] == "结束语"
    api.get(f"/units/{world.health}/reply-templates", tokens.hr_clerk, expect=404)
    api.get(f"/units/{world.office}/reply-templates", tokens.clerk, expect=404)
    hr = api.get(f"/units/{world.hr}/reply-templates", tokens.hr_clerk, expect=200).get_json()
    assert [t["name"] for t in hr["items"]] == ["通用结束语"]

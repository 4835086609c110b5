"""The administrator keeps the redaction rules and tries them on a text before saving."""
from __future__ import annotations

import json

from sqlalchemy import select

from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.publication.models import RedactionRule

PAGE = "/admin/redaction-rules"
SAMPLE = "请与王科长联系，电话13904361234，工号A-2231-77。"


def _rules(app) -> dict[str, RedactionRule]:
    with app.app_context():
        db.session.expire_all()
        return {r.name: (r.pattern, r.is_active) for r in db.session.scalars(select(RedactionRule))}


def _admin(make_client):
    client = make_client()
    client.login("admin")
    return client


def test_the_default_rules_are_listed(app, world, make_client):
    page = _admin(make_client).get(PAGE).get_data(as_text=True)
    for name in ("手机号码", "固定电话", "电子邮箱", "身份证号码", "银行卡号", "通讯地址"):
        assert f'<td class="rule-name">{name}</td>' in page


def test_a_rule_is_tried_on_a_text_then_saved(app, world, make_client):
    admin = _admin(make_client)
    before = _rules(app)
    tried = admin.post_form(PAGE, {"name": "工号", "pattern": r"工号[A-Z]-\d{4}-\d{2}",
                                   "position": "20", "is_active": "y", "text": SAMPLE,
                                   "try": "1"})
    page = tried.get_data(as_text=True)
    assert tried.status_code == 200
    assert "测试结果：删除 2 处" in page
    assert '<del class="text-danger" title="手机号码">13904361234</del>' in page
    assert '<del class="text-danger" title="工号">工号A-2231-77</del>' in page
    assert "公开文本：请与王科长联系，电话［已删除］，［已删除］。" in page
    assert _rules(app) == before  # trying saves nothing
    saved = admin.post_form(PAGE, {"name": "工号", "pattern": r"工号[A-Z]-\d{4}-\d{2}",
                                   "position": "20", "is_active": "y", "save": "1"})
    assert saved.status_code == 302
    assert _rules(app)["工号"] == (r"工号[A-Z]-\d{4}-\d{2}", True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "redaction_rule_saved"))
        assert json.loads(event.details)["name"] == "工号"


def test_bad_rules_are_refused_beside_the_field(app, world, make_client):
    admin = _admin(make_client)
    before = _rules(app)
    for data, field, message in [
        ({"name": "坏规则", "pattern": "(\\d+"}, "pattern", "正则表达式有误"),
        ({"name": "空匹配", "pattern": "\\d*"}, "pattern", "会匹配空字符串"),
        ({"name": "回溯", "pattern": "(a|aa)+$"}, "pattern", "匹配太慢"),
        ({"name": "手机号码", "pattern": "\\d{11}"}, "name", "已有同名的规则"),
        ({"name": "", "pattern": "\\d{11}"}, "name", "请填写规则名称"),
    ]:
        response = admin.post_form(PAGE, {**data, "is_active": "y", "save": "1"})
        page = response.get_data(as_text=True)
        assert response.status_code == 422, data
        at = page.find(f'name="{field}"')
        assert message in page[at:at + 1500], (data, field)
    assert _rules(app) == before


def test_a_rule_is_switched_off_and_then_cuts_nothing(app, world, make_client):
    admin = _admin(make_client)
    with app.app_context():
        rule_id = db.session.scalar(select(RedactionRule.id).where(RedactionRule.name == "手机号码"))
    edit = admin.get(f"{PAGE}/{rule_id}").get_data(as_text=True)
    assert "修改规则「手机号码」" in edit
    assert admin.post_form(f"{PAGE}/{rule_id}", {
        "name": "手机号码", "pattern": r"(?<!\d)1[3-9]\d{9}(?!\d)", "position": "1",
        "save": "1"}).status_code == 302  # is_active unticked
    assert _rules(app)["手机号码"] == (r"(?<!\d)1[3-9]\d{9}(?!\d)", False)
    page = admin.post_form(PAGE, {"name": "", "pattern": "", "text": SAMPLE,
                                  "try": "1"}).get_data(as_text=True)
    assert "测试结果：删除 0 处" in page


def test_only_the_administrator_sees_the_rules(app, world, make_client):
    clerk = make_client()
    clerk.login("health_clerk")
    assert clerk.get(PAGE).status_code == 403
    assert clerk.post_form(PAGE, {"name": "x", "pattern": "\\d{3}", "save": "1"}).status_code == 403

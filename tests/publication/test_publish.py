"""From an issued reply to its public version: the public text shows each removal, a person
confirms it, the public PDF is rendered from the public text (no seal, no verification code,
no contact, 抄送 or review trail), and a correction is a new version with a note."""
from __future__ import annotations

import json

from sqlalchemy import select

from tests.support.publication import CREDIT_CODE, issued_reply, pdf_text
from tracker.core.time import today
from tracker.extensions import db
from tracker.publication.models import Publication
from tracker.replies.models import Reply

SECRETS = ("13904361234", "zhao.chunyu@163.com", "幸福小区3栋2单元", "220802198503150021",
           "王某某", "物业公司")


def test_a_reply_is_reviewed_confirmed_and_published_without_personal_details(
        app, world, make_client):
    reply_id = issued_reply(app, world, make_client)
    clerk = make_client()
    clerk.login("health_clerk")
    page = clerk.get(f"/replies/{reply_id}/publish").get_data(as_text=True)
    for text, why in (("13904361234", "手机号码"), ("220802198503150021", "身份证号码"),
                      ("王某某", "审核人标记"), ("长春市南关区幸福小区3栋2单元", "提出人联系方式")):
        assert f'<del class="text-danger" title="{why}">{text}</del>' in page, text
    assert "2026年安排资金1200万元" in page
    # The clerk marks one more word, previews, then confirms.
    preview = clerk.post_form(f"/replies/{reply_id}/publish",
                              {"extra_words": "物业公司", "preview": "1"}).get_data(as_text=True)
    assert '<del class="text-danger" title="审核人标记">物业公司</del>' in preview
    # A single character would cut other words apart: refused beside the field, as in review.
    single = clerk.post_form(f"/replies/{reply_id}/publish",
                             {"extra_words": "物业公司\n王", "preview": "1"})
    assert single.status_code == 422
    assert "每个词语至少两个字" in single.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Publication.id)) is None  # a preview publishes nothing
    done = clerk.post_form(f"/replies/{reply_id}/publish",
                           {"extra_words": "物业公司", "confirm": "1"})
    assert done.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(Publication))
        reply = db.session.get(Reply, reply_id)
        assert (row.version, row.mode, row.doc_number, row.issuer) == (
            1, "full", reply.doc_number, "省卫生健康委员会")
        assert row.index_number == f"{CREDIT_CODE}/{row.published_on.year}-00001"
        assert row.title.startswith("对省十四届人大三次会议第") and row.title.endswith("号代表建议的答复")
        for secret in SECRETS:
            assert secret not in row.public_text and secret not in row.letter_data
        assert row.public_text.count("［已删除］") >= 5
        assert {r["why"] for r in json.loads(row.removals)} >= {
            "手机号码", "身份证号码", "审核人标记", "提出人联系方式"}
        data = json.loads(row.letter_data)
        assert (data["signature"], data["verification"], data["contact"], data["cc"],
                data["reviewers"]) == (False, None, None, None, None)
        publication_id, signed_sha = row.id, reply.pdf_sha256
    item = clerk.get(f"/proposals/{_proposal(app, reply_id)}").get_data(as_text=True)
    assert "已公开（索引号" in item and "公开版 PDF" in item
    pdf = clerk.get(f"/publications/{publication_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "［已删除］" in text and "2026年安排资金1200万元" in text
    for secret in (*SECRETS, "联系人", "抄送", "核验码", "初审"):
        assert secret not in text, secret
    assert b"/ByteRange" not in pdf.data  # not signed: never the internal letter
    import hashlib
    assert hashlib.sha256(pdf.data).hexdigest() != signed_sha

    # Published versions stay; a correction is a new version of the same 索引号, with a note.
    refused = clerk.post_form(f"/replies/{reply_id}/publish", {"confirm": "1"})
    assert refused.status_code == 422
    assert "请说明更正的内容和原因" in refused.get_data(as_text=True)
    assert clerk.post_form(f"/replies/{reply_id}/publish", {
        "confirm": "1", "note": "补充删除第三方单位名称。", "extra_words": "物业公司\n社区卫生服务站"}
    ).status_code == 302
    with app.app_context():
        first, second = db.session.scalars(select(Publication).order_by(Publication.version))
        assert (second.version, second.index_number, second.note) == (
            2, first.index_number, "补充删除第三方单位名称。")
        assert "社区卫生服务站" in first.public_text and "社区卫生服务站" not in second.public_text


def _proposal(app, reply_id: int) -> int:
    with app.app_context():
        return db.session.get(Reply, reply_id).assignment.proposal_id


def test_a_summary_is_published_instead_of_the_letter(app, world, make_client):
    summary = "我委将在幸福小区周边建设社区卫生服务站，联系电话13904361234。"
    reply_id = issued_reply(app, world, make_client, publication="summary", summary=summary)
    clerk = make_client()
    clerk.login("health_clerk")
    done = clerk.post_form(f"/replies/{reply_id}/publish", {"confirm": "1"})
    assert done.status_code == 302, done.get_data(as_text=True)[-3000:]
    with app.app_context():
        row = db.session.scalar(select(Publication))
        assert row.mode == "summary"
        salutation, opening, summary = row.public_text.split("\n")
        assert salutation == "赵春雨代表：" and opening.startswith("您在省十四届人大三次会议上提出的")
        assert summary == "我委将在幸福小区周边建设社区卫生服务站，联系电话［已删除］。"
        assert "一、基本情况" not in row.letter_data


def test_withheld_replies_and_other_units_cannot_publish(app, world, make_client):
    reply_id = issued_reply(app, world, make_client, disclosure="not_public", publication="withheld")
    clerk = make_client()
    clerk.login("health_clerk")
    response = clerk.get(f"/replies/{reply_id}/publish")
    assert response.status_code == 302
    assert clerk.post_form(f"/replies/{reply_id}/publish", {"confirm": "1"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Publication.id)) is None
    for username, status in (("edu_clerk", 404), ("health_drafter", 403)):
        other = make_client()
        other.login(username)
        assert other.get(f"/replies/{reply_id}/publish").status_code == status, username


def test_publishing_needs_the_units_credit_code_which_the_administrator_sets(
        app, world, make_client):
    reply_id = issued_reply(app, world, make_client, credit_code="")
    clerk = make_client()
    clerk.login("health_clerk")
    assert "尚未设置统一社会信用代码" in clerk.get(f"/replies/{reply_id}/publish").get_data(
        as_text=True)
    refused = clerk.post_form(f"/replies/{reply_id}/publish", {"confirm": "1"})
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Publication.id)) is None
    admin = make_client()
    admin.login("admin")
    page = f"/admin/units/{world.health}/publication"
    for data, field, message in [
        ({"publication-credit_code": "112202813400415898"}, "credit_code", "校验位不对"),
        ({"publication-credit_code": "11220281340041589"}, "credit_code", "应为 18 位"),
        ({"publication-credit_code": CREDIT_CODE, "publication-index_format": "{code}/{year}"},
         "index_format", "须包含序号"),
        ({"publication-credit_code": CREDIT_CODE, "publication-index_format": "{code}-{month}"},
         "index_format", "须包含序号"),
        ({"publication-credit_code": CREDIT_CODE,
          "publication-index_format": "{code}-{month}-{serial}"}, "index_format", "只能使用"),
    ]:
        response = admin.post_form(page, data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, data
        at = html.find(f'name="publication-{field}"')
        assert message in html[at:at + 1500], data
    assert admin.post_form(page, {"publication-credit_code": "112202813400415897",
                                  "publication-index_format": "{code}-{year}-{serial:04d}"}
                           ).status_code == 302
    unit_page = admin.get(f"/admin/units/{world.health}/edit").get_data(as_text=True)
    assert f"{CREDIT_CODE}-{today().year}-0001" in unit_page  # the next 索引号, as it will be
    assert clerk.post_form(f"/replies/{reply_id}/publish", {"confirm": "1"}).status_code == 302
    with app.app_context():
        row = db.session.scalar(select(Publication))
        assert row.index_number == f"{CREDIT_CODE}-{row.published_on.year}-0001"

"""Real text end to end: the background of the 蛟河 health plan (tests/data/samples, as its
portal published it, half-width commas and all) pasted as a reply's body, issued, published
by 蛟河市卫生健康局's credit code and found on the portal: nothing of it cut by the rules, the
索引号 shaped like the one that portal printed, the page, the PDF and the search all showing it."""
from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from tests.support.publication import CREDIT_CODE, issued_reply, pdf_text
from tracker.extensions import db
from tracker.publication.models import Publication

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "plan-jiaohe-2023.txt"


def _background() -> str:
    """The plan's 一、规划背景 heading and its two paragraphs, as published."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "一、规划背景")
    return "\n".join(line.strip() for line in lines[start:start + 3])


def test_a_real_plan_text_goes_from_reply_to_the_portal(app, world, make_client):
    body = _background()
    assert "全市医疗卫生机构达到426所" in body and "“54321”发展战略" in body
    reply_id = issued_reply(app, world, make_client, body=body)
    clerk = make_client()
    clerk.login("health_clerk")
    assert clerk.post_form(f"/replies/{reply_id}/publish", {"confirm": "1"}).status_code == 302
    with app.app_context():
        row = db.session.scalar(select(Publication))
        # The rules cut nothing of a plan's figures (426所, 2503名, 54321, 2035年).
        assert json.loads(row.removals) == [] and "［已删除］" not in row.public_text
        # The 索引号 has the shape of the 蛟河 portal's 112202813400415897/2023-05471.
        assert re.fullmatch(rf"{CREDIT_CODE}/\d{{4}}-\d{{5}}", row.index_number)
        publication_id = row.id
    public = make_client()
    page = public.get(f"/public/{publication_id}").get_data(as_text=True)
    # The letter's typing rules turned the half-width commas into full-width ones.
    assert "截至2020年末，全市医疗卫生机构达到426所" in page
    assert "大力实施“54321”发展战略" in page
    assert "截至2020年末，全市医疗卫生机构达到426所" in pdf_text(
        public.get(f"/public/{publication_id}.pdf").data)
    for q in ("医疗卫生服务体系", "厂矿医院", "54321"):
        found = public.get("/public/", query_string={"q": q}).get_data(as_text=True)
        assert f'href="/public/{publication_id}"' in found, q

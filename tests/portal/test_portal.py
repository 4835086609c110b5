"""The public portal: a published reply listed, filtered, searched (its public text only),
shown with the standard header, its public PDF and the Atom feed, without login; a
correction is a new page, the old one stays and says so."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlalchemy import select

from tests.support.publication import CREDIT_CODE, issued_reply, pdf_text
from tracker.extensions import db
from tracker.publication.models import Publication

ATOM = "{http://www.w3.org/2005/Atom}"


def _publish(make_client, reply_id: int, **data) -> None:
    clerk = make_client()
    clerk.login("health_clerk")
    response = clerk.post_form(f"/replies/{reply_id}/publish", {"confirm": "1", **data})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]


def test_a_published_reply_is_listed_searched_shown_and_in_the_feed(app, world, make_client):
    reply_id = issued_reply(app, world, make_client)
    public = make_client()  # nobody logged in
    assert "没有找到符合条件的公开答复" in public.get("/public/").get_data(as_text=True)
    _publish(make_client, reply_id)
    with app.app_context():
        row = db.session.scalar(select(Publication))
        first_id, index_number, title = row.id, row.index_number, row.title
        meeting_id = row.reply.assignment.proposal.meeting_id

    listing = public.get("/public/")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert title in page and index_number in page and "省卫生健康委员会" in page
    assert listing.headers["Cache-Control"] == "public, max-age=300"
    assert "set-cookie" not in {k.lower() for k in listing.headers.keys()}
    # The filters: by meeting, unit, year and 分类; a filter that matches nothing lists nothing.
    for args, found in (({"meeting": meeting_id}, True), ({"meeting": meeting_id + 99}, False),
                        ({"unit": world.health}, True), ({"unit": world.edu}, False),
                        ({"year": row.published_on.year}, True),
                        ({"year": row.published_on.year - 1}, False)):
        shown = public.get("/public/", query_string=args).get_data(as_text=True)
        assert (title in shown) is found, args
    # Search: the public text's words, the 索引号; never what the redaction removed.
    for q, found in (("社区卫生服务站", True), ("资金保障", True), (index_number, True),
                     ("13904361234", False), ("幸福小区", False), ("王某某", False),
                     ("不存在的词语", False)):
        shown = public.get("/public/", query_string={"q": q}).get_data(as_text=True)
        assert (f'href="/public/{first_id}"' in shown) is found, q
    hit = public.get("/public/", query_string={"q": "社区卫生服务站"}).get_data(as_text=True)
    assert "<mark>社区卫生</mark><mark>服务站</mark>" in hit

    shown = public.get(f"/public/{first_id}").get_data(as_text=True)
    for label, value in (("索引号", index_number), ("发文机关", "省卫生健康委员会"),
                         ("标题", title), ("分类", row.category)):
        assert f'<th scope="row">{label}</th><td>{value}</td>' in shown, label
    for label in ("成文日期", "发文字号", "发布日期"):
        assert f'<th scope="row">{label}</th>' in shown
    assert "2026年安排资金1200万元" in shown and "［已删除］" in shown
    pdf = public.get(f"/public/{first_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "2026年安排资金1200万元" in pdf_text(pdf.data)
    assert b"/ByteRange" not in pdf.data

    feed = public.get("/public/feed.atom")
    assert feed.mimetype == "application/atom+xml"
    root = ET.fromstring(feed.data)
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [title]
    assert entries[0].find(f"{ATOM}link").get("href").endswith(f"/public/{first_id}")

    # A correction: a new version and page; the list and the search show the new one, the old
    # page stays (never changed) and points to it; the feed has both.
    _publish(make_client, reply_id, note="补充删除第三方单位名称。",
             extra_words="物业公司\n社区卫生服务站")
    with app.app_context():
        second_id = db.session.scalar(select(Publication.id).where(Publication.version == 2))
    listing = public.get("/public/").get_data(as_text=True)
    assert f'href="/public/{second_id}"' in listing and f'href="/public/{first_id}"' not in listing
    assert "第 2 版（已更正）" in listing
    old = public.get(f"/public/{first_id}").get_data(as_text=True)
    assert "本页为第 1 版" in old and f'href="/public/{second_id}"' in old
    assert "社区卫生服务站" in old
    new = public.get(f"/public/{second_id}").get_data(as_text=True)
    assert "更正说明：补充删除第三方单位名称。" in new and "社区卫生服务站" not in new
    # The removed words are no longer found; the rest still is.
    assert f'href="/public/{second_id}"' not in public.get(
        "/public/", query_string={"q": "社区卫生服务站"}).get_data(as_text=True)
    assert f'href="/public/{second_id}"' in public.get(
        "/public/", query_string={"q": "资金保障"}).get_data(as_text=True)
    entries = ET.fromstring(public.get("/public/feed.atom").data).findall(f"{ATOM}entry")
    assert len(entries) == 2 and "更正" in entries[0].find(f"{ATOM}title").text
    assert CREDIT_CODE in index_number


def test_the_portal_has_no_login_and_unknown_pages_are_404(app, world, make_client):
    public = make_client()
    for url in ("/public/", "/public/statistics", "/public/feed.atom"):
        assert public.get(url).status_code == 200, url
    for url in ("/public/999", "/public/999.pdf"):
        assert public.get(url).status_code == 404, url


def test_odd_search_text_and_filters_get_a_page(app, world, make_client):
    public = make_client()
    for args in ({"q": '"'}, {"q": "*"}, {"q": "医疗 OR 教育"}, {"q": "NEAR(医疗"},
                 {"q": "'); DROP TABLE publications; --"}, {"q": "医" * 300},
                 {"q": "a\x00b"}, {"meeting": "abc"}, {"year": "0"}, {"year": "99999"},
                 {"year": "9999"}, {"year": "2100"}, {"q": "医", "year": "9999"},
                 {"unit": "-1"}, {"page": "99999"}, {"category": "<script>"}):
        response = public.get("/public/", query_string=args)
        assert response.status_code == 200, args
        assert "<script>" not in response.get_data(as_text=True).split("<main")[1], args


def test_a_visitor_with_a_session_gets_no_shared_cache(app, world, make_client):
    """A logged-in user's page may carry a renewed session cookie: never for a shared cache."""
    clerk = make_client()
    clerk.login("health_clerk")
    assert clerk.get("/public/").headers["Cache-Control"] == "no-store"
    assert make_client().get("/public/").headers["Cache-Control"] == "public, max-age=300"


def test_a_filtered_search_looks_among_the_filtered_replies(app, world, make_client,
                                                            monkeypatch):
    """The most recent matches are taken among the filtered replies, not among all and then
    filtered (here one match at most is taken: the older reply must still be found)."""
    import functools

    from tracker.portal import queries

    older = issued_reply(app, world, make_client, proposal={"category": "教育"})
    newer = issued_reply(app, world, make_client, proposal={"category": "医疗卫生"})
    for reply_id in (older, newer):
        _publish(make_client, reply_id)
    monkeypatch.setattr(queries, "matched_docs",
                        functools.partial(queries.matched_docs, limit=1))
    public = make_client()
    with app.app_context():
        older_id = db.session.scalar(select(Publication.id).where(
            Publication.reply_id == older))
    shown = public.get("/public/", query_string={"q": "资金保障", "category": "教育"})
    assert f'href="/public/{older_id}"' in shown.get_data(as_text=True)

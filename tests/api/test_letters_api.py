"""The letter's files through the API (issued PDF and .docx, any draft version's preview
and .docx) with the pages' permissions, for an item numbered 0040 taken from registration to
发文 through the API alone."""
from __future__ import annotations

from tests.replies.test_real_letters import PASTED, auth, docx_text, pdf_text
from tests.support.api import PREFIX, assignment_of


def test_item_0040_is_drafted_reviewed_signed_and_issued_through_the_api(app, api, tokens,
                                                                        world, client):
    item = api.register(tokens.clerk, world.meeting, number="0040", is_key=False)
    assert item["number"] == "0040"
    item = api.assign(tokens.clerk, item["id"], lead=world.health)
    aid = assignment_of(item, world.health)["id"]
    api.act("assignments", aid, "accept", tokens.health_clerk, {})
    api.act("assignments", aid, "dispatch", tokens.health_clerk, {
        "section_id": world.health_section, "drafter_id": world.health_drafter})
    saved = api.act("assignments", aid, "save_draft", tokens.health_drafter, {
        "body": PASTED, "result_class": "A", "reply_form": "written", "disclosure": "public",
        "base_number": 0, "contact_name": "刘洋", "contact_phone": "0431-88900000"}).get_json()
    # The drafter is told what the punctuation normalisation changed.
    assert saved["notices"][0].startswith("已按标点符号用法（GB/T 15834）将")
    draft = assignment_of(saved, world.health)["draft"]
    assert "426所，其中" in draft["body"] and "6.82张" in draft["body"]
    assert "https://wsjkw.jl.gov.cn/" in draft["body"] and "8:30至17:00" in draft["body"]
    api.act("assignments", aid, "submit_review", tokens.health_drafter, {})
    for reviewer in ("health_first", "health_second", "health_final"):
        api.act("assignments", aid, "approve", getattr(tokens, reviewer),
                {"seen_version_id": draft["id"]})
    api.act("assignments", aid, "sign", tokens.health_signer, {"seen_version_id": draft["id"]})
    issued = api.act("assignments", aid, "issue", tokens.health_clerk, {}).get_json()
    reply = assignment_of(issued, world.health)["reply"]
    assert reply["doc_number"].endswith("〕1号")

    pdf = client.get(f"{PREFIX}/assignments/{aid}/letter.pdf", headers=auth(tokens.health_clerk))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "对省十四届人大三次会议第0040号代表建议的答复" in text
    assert reply["doc_number"] in text and "426所，其中市直医疗机构10所；" in text
    word = client.get(f"{PREFIX}/assignments/{aid}/letter.docx",
                      headers=auth(tokens.health_clerk))
    assert word.status_code == 200
    assert word.mimetype.endswith("wordprocessingml.document")
    words = docx_text(word.data)
    assert "第0040号代表建议的答复" in words and reply["doc_number"] in words
    draft_pdf = client.get(f"{PREFIX}/assignments/{aid}/drafts/1/letter.pdf",
                           headers=auth(tokens.health_drafter))
    assert draft_pdf.status_code == 200 and "第0040号" in pdf_text(draft_pdf.data)
    draft_docx = client.get(f"{PREFIX}/assignments/{aid}/drafts/1/letter.docx",
                            headers=auth(tokens.health_drafter))
    assert draft_docx.status_code == 200 and "第0040号" in docx_text(draft_docx.data)
    # The same permissions as the pages: another unit sees nothing of it.
    for path in ("letter.pdf", "letter.docx", "drafts/1/letter.pdf", "drafts/1/letter.docx"):
        other = client.get(f"{PREFIX}/assignments/{aid}/{path}", headers=auth(tokens.edu_clerk))
        assert other.status_code == 404, path
        assert other.get_json()["status"] == 404
    missing = client.get(f"{PREFIX}/assignments/{aid}/drafts/9/letter.pdf",
                         headers=auth(tokens.health_clerk))
    assert missing.status_code == 404
    assert client.get(f"{PREFIX}/assignments/{aid}/letter.pdf").status_code == 401




def test_a_whole_word_letter_through_the_api(app, api, tokens, world):
    """save_draft with a multipart docx: the parts fill the draft; notices say what came."""
    import io

    from tests.replies.test_word_import import office_letter

    item = api.register(tokens.clerk, world.meeting, number="0041", is_key=False)
    item = api.assign(tokens.clerk, item["id"], lead=world.health)
    aid = assignment_of(item, world.health)["id"]
    api.act("assignments", aid, "accept", tokens.health_clerk, {})
    api.act("assignments", aid, "dispatch", tokens.health_clerk, {
        "section_id": world.health_section, "drafter_id": world.health_drafter})
    saved = api.act("assignments", aid, "save_draft", tokens.health_drafter, data={
        "base_number": "0", "result_class": "A", "reply_form": "written",
        "disclosure": "public", "closing": "此复。",
        "docx": (io.BytesIO(office_letter("0041")), "答复.docx")},
        content_type="multipart/form-data").get_json()
    draft = assignment_of(saved, world.health)["draft"]
    assert draft["source"] == "docx"
    assert draft["body"].startswith("一、关于基层卫生人才引进")
    assert "李华代表" not in draft["body"] and "吉林省卫生健康委员会" not in draft["body"]
    assert draft["salutation"] == "李华代表："
    assert draft["closing"] == "此复。"  # the request's own value wins over the file's
    assert draft["cc"] == ["省人大常委会人代选委", "省政府办公厅"]
    imported = saved["notices"][0]
    assert imported.startswith("已从 Word 文件导入：") and "称谓" in imported
    assert "结束语" not in imported
    assert any(n.startswith("已按标点符号用法") for n in saved["notices"])

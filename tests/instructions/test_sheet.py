"""The 办理单 PDF: every fact in its cell (found by position with pdfplumber), ticks where the
record says, blanks where a signature goes, one page per item."""
from __future__ import annotations

import io
import os
import re
from datetime import timedelta
from pathlib import Path

import pdfplumber

from tests import factories
from tests.support.handling import bring_to, latest_id, write_draft
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.instructions import operations
from tracker.instructions.choices import InstructionKind as K
from tracker.instructions.sheet import build_sheet, can_print, render_sheets
from tracker.ratings import operations as ratings
from tracker.ratings.models import RatingChannel
from tracker.ratings.queries import issued_reply
from tracker.replies import operations as replies
from tracker.replies.models import ReplyForm

TRANSFER = "请鲁朗同志阅。呈请吴昱同志阅示、拟转省卫健委办理。"


def rows_of(pdf: bytes) -> list[dict]:
    """Per page, the text of each table row keyed by its label (the left cell)."""
    pages = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            table = page.find_tables()[0]
            rows = {}
            for row in table.rows:
                # The tick sits low in its box: a looser line tolerance keeps it with its label.
                cells = [page.crop(c).extract_text(y_tolerance=6) if c else ""
                         for c in row.cells]
                label = re.sub(r"\s", "", cells[0])
                rows[label] = [re.sub(r"\s", "", c) for c in cells[1:]]
            above = page.crop((0, 0, page.width, table.bbox[1])).extract_text()
            rows["_title"] = re.sub(r"\s", "", above)
            pages.append(rows)
    return pages


def _handled_item(w, *, score=95, verdict="satisfied"):
    """A cppcc item through the whole cycle with every instruction of the 办理单."""
    proposal = factories.make_proposal(
        w.clerk, w.cppcc, number="0040", title="关于推进城乡居民医保属地就医的提案",
        authors=[{"name": "陈明", "phone": "13900000000"}, {"name": "赵菁"}])
    (lead,) = factories.assign(proposal, w.clerk, lead=w.health)
    day = today() - timedelta(days=1)
    operations.record_instruction(proposal, w.clerk, kind=K.transfer, text=TRANSFER,
                                  given_on=day, leader_name="省政府办公厅", source="paper")
    asked = operations.request_instruction(proposal, w.clerk, kind=K.sign_off,
                                           leader_id=w.office_leader.id)
    operations.give_instruction(asked, w.office_leader, text="同意。请省卫健委认真研究办理。",
                                given_on=day)
    handling.accept_assignment(lead, w.health_clerk)
    operations.record_instruction(proposal, w.health_leader, kind=K.unit_principal,
                                  assignment=lead, text="请基层卫生健康处牵头，认真办理。",
                                  given_on=today())
    operations.record_instruction(proposal, w.health_clerk, kind=K.unit_deputy, assignment=lead,
                                  text="请按期答复。", given_on=today(),
                                  leader_id=w.health_deputy.id, source="paper")
    handling.dispatch_assignment(lead, w.health_clerk, section_id=w.health_section.id,
                                 drafter_id=w.health_drafter.id)
    write_draft(lead, w.health_drafter, result_class="B", reply_form=ReplyForm.face)
    replies.submit_review(lead, w.health_drafter)
    for reviewer in (w.health_first, w.health_second, w.health_final):
        replies.approve_draft(lead, reviewer, seen_version_id=latest_id(lead))
    replies.sign_reply(lead, w.health_signer, seen_version_id=latest_id(lead))
    replies.issue_reply(lead, w.health_clerk)
    reply = issued_reply(lead)
    for author in proposal.authors:
        ratings.submit_rating(reply, author, {
            "handling": verdict, "result": verdict, "result_score": str(score),
            "handling_score": str(score), "contacted": "yes", "contact_method": "face",
            "comments": "答复具体，措施可行。" if author.position == 0 else ""},
            channel=RatingChannel.paper, actor=w.clerk)
    ratings.close_item(proposal, w.clerk, grade="good")
    operations.record_instruction(proposal, w.office_leader, kind=K.result_review,
                                  text="办理认真，答复满意。", given_on=today())
    db.session.refresh(proposal)
    return proposal, lead


def test_the_sheet_shows_every_fact_in_its_cell(w):
    proposal, lead = _handled_item(w)
    pdf = render_sheets([proposal], w.clerk)
    if os.environ.get("TRACKER_KEEP_PDF"):
        Path(os.environ["TRACKER_KEEP_PDF"]).write_bytes(pdf)
    (page,) = rows_of(pdf)
    assert "省政协十三届三次会议提案办理单" in page["_title"]
    assert page["提案号"][0] == "0040" and "陈明、赵菁" in page["提案号"][2]
    assert page["案由"][0] == "关于推进城乡居民医保属地就医的提案"
    transfer = page["省政府办公厅转办意见"][0]
    assert TRANSFER in transfer and "省政府办公厅" in transfer
    assert "同意。请省卫健委认真研究办理。" in page["领导签办意见"][0] and "吴昱" in page["领导签办意见"][0]
    assert "省卫生健康委员会（主办）" in page["承办单位"][0]
    principal = page["承办单位主要领导办理意见"][0]
    assert "请基层卫生健康处牵头，认真办理。" in principal and "冯主任" in principal
    assert "请按期答复。" in page["承办单位分管领导"][0] and "鲁朗" in page["承办单位分管领导"][0]
    assert page["责任科室及责任人"][0] == "基层卫生健康处刘承办"
    assert "办理认真，答复满意。" in page["领导审阅办理结果意见"][0]
    assert page["答复时间"][0].startswith(str(today().year))
    assert "√面见答复" in page["答复时间"][2] and "√书面答复" not in page["答复时间"][2]
    satisfaction = page["提案办理结果满意度评价"][0]
    assert "√满意（90分及以上）" in satisfaction
    assert "陈明：满意（95分）" in satisfaction
    assert "答复具体，措施可行。" in satisfaction and "提案者签名：" in satisfaction
    assert "√B类" in page["办理落实情况类别"][0] and "√A类" not in page["办理落实情况类别"][0]
    assert "签名：" in page["办理落实情况类别"][0]
    assert "√好" in page["省政府办公厅评价"][0] and "√中" not in page["省政府办公厅评价"][0]


def test_a_fresh_item_prints_blank_cells_and_no_ticks(w):
    assignment = bring_to(w, "accepted")
    (page,) = rows_of(render_sheets([assignment.proposal], w.clerk))
    assert "建议办理单" in page["_title"]
    assert page["建议号"][0] == assignment.proposal.number
    assert page["领导签办意见"][0] == "" and page["承办单位主要领导办理意见"][0] == ""
    assert "√" not in "".join("".join(cells) for key, cells in page.items() if key != "_title")


def test_a_selection_prints_one_page_per_item_and_co_units_do_not_print(w):
    first, _ = _handled_item(w)
    co = bring_to(w, "accepted", role="co")
    pages = rows_of(render_sheets([first, co.proposal], w.clerk))
    assert [p["提案号" if "提案号" in p else "建议号"][0] for p in pages] == [
        "0040", co.proposal.number]
    assert can_print(w.health_clerk, co.proposal)  # the lead unit
    assert not can_print(w.hr_clerk, co.proposal)  # the co-handling unit
    assert can_print(w.office_leader, co.proposal)


def test_a_unit_leaders_instruction_is_left_out_for_whoever_may_not_read_it(w):
    co = bring_to(w, "accepted", role="co")
    operations.record_instruction(co.proposal, w.hr_leader, kind=K.unit_principal, assignment=co,
                                  text="同意会办。", given_on=today())
    said = build_sheet(co.proposal, w.health_clerk).said["unit_principal"]
    assert said == []
    assert [s.text for s in build_sheet(co.proposal, w.clerk).said["unit_principal"]] == ["同意会办。"]



def test_a_suggestions_sheet_speaks_of_deputies(w):
    assignment = bring_to(w, "replied")
    (page,) = rows_of(render_sheets([assignment.proposal], w.clerk))
    assert page["建议号"][1] == "代表"
    satisfaction = page["建议办理结果满意度评价"][0]
    assert "代表签名：" in satisfaction and "建议者" not in satisfaction


def test_a_co_handling_units_leader_is_named_with_the_unit(w):
    """hr co-handles; its leader's instruction never reads as the lead unit's principal's."""
    co = bring_to(w, "accepted", role="co")
    operations.record_instruction(co.proposal, w.hr_leader, kind=K.unit_principal, assignment=co,
                                  text="同意会办。", given_on=today())
    (page,) = rows_of(render_sheets([co.proposal], w.clerk))
    assert "〔省人力资源和社会保障厅〕同意会办。" in page["承办单位主要领导办理意见"][0]


def test_a_real_instruction_keeps_its_paragraphs_in_full_width_punctuation(w):
    """Two paragraphs of a real provincial notice (../shared/samples), half-width as the page
    gave them, typed in as a leader's review: one paragraph a line, Chinese punctuation."""
    # The repository's copy of ../shared/samples (tests/data/samples).
    sample = Path(__file__).parents[1] / "data" / "samples" / "yigai-tasks-jilin-2021.txt"
    lines = [line.strip() for line in sample.read_text(encoding="utf-8").splitlines()
             if line.strip().startswith("(")][:2]
    assert lines[0].startswith("(一)") and "," in lines[0]
    assignment = bring_to(w, "replied")
    operations.record_instruction(assignment.proposal, w.office_leader, kind=K.result_review,
                                  text="\n".join(lines), given_on=today())
    with pdfplumber.open(io.BytesIO(render_sheets([assignment.proposal], w.clerk))) as pdf:
        page = pdf.pages[0]
        row = next(r for r in page.find_tables()[0].rows
                   if "领导审阅" in page.crop(r.cells[0]).extract_text())
        cell = page.crop(row.cells[1]).extract_text()
    flat = re.sub(r"\s", "", cell)
    assert "（一）大力推广三明市医改经验。以药品集中采购和使用为突破口，进一步" in flat
    assert "," not in flat and "(" not in flat
    # The second paragraph begins a line of its own.
    assert any(line.startswith("（二）推进药品耗材集中采购") for line in cell.splitlines())

"""Sample letter inputs of a chosen length, for the tests, `make bench` and previews."""
from __future__ import annotations

import copy

SAMPLE = {
    "kind": "suggestion", "meeting": "省十四届人大三次会议", "number": "212",
    "title": "关于加强基层卫生人才队伍建设的建议", "proposers": ["李华"],
    "lead_unit": "吉林省卫生健康委员会", "co_units": ["省人力资源和社会保障厅"],
    "doc_number": "吉卫复议字〔2026〕12号", "result_class": "A", "disclosure": "public",
    "signer": None, "salutation": None, "opening": None,
    "body": "",
    "closing": "感谢您对卫生健康工作的关心和支持。",
    "date": "2026-06-18", "contact": {"name": "刘洋", "phone": "0431-88900000"},
    "cc": ["省人大常委会人代选委", "省政府办公厅"],
    "reviewers": {"first": "刘洋", "second": "陈静", "final": "周涛"},
}

PARAGRAPH = ("近年来，我委会同省人力资源和社会保障厅，持续推进基层卫生人才队伍建设，出台了一系列"
             "政策措施，基层卫生人才总量稳步增长、结构不断优化、能力持续提升，群众在家门口看病就医"
             "更加方便，基层医疗卫生服务体系建设取得明显成效。")
HEADINGS = ["关于基层卫生人才引进", "关于人才培养培训", "关于待遇保障", "关于下一步工作",
            "关于职称评聘", "关于编制管理", "关于考核激励", "关于组织保障"]
CN = "一二三四五六七八"
# Body paragraphs (each 4 lines of text) that give a letter of 1..8 pages with SAMPLE.
PARAGRAPHS_FOR_PAGES = {2: 3, 3: 8, 4: 14, 5: 19, 6: 24, 7: 30, 8: 35}


def sample_letter(pages: int = 3, **changes) -> dict:
    """A realistic input whose letter has ``pages`` pages (1 to 8)."""
    data = copy.deepcopy(SAMPLE)
    lines = ["我们将认真研究您提出的意见建议。"] if pages == 1 else []
    for i in range(PARAGRAPHS_FOR_PAGES.get(pages, 0)):
        if i % 5 == 0:
            lines.append(f"{CN[(i // 5) % 8]}、{HEADINGS[(i // 5) % 8]}")
        lines.append(PARAGRAPH)
    data["body"] = "\n".join(lines)
    data.update(changes)
    return data

"""Word in: a whole reply typed in Word/WPS, split into the draft's fields.

tracker.replies.docx_letter reads the file; here the upload is checked, the parts that are
draft fields fill the draft, and the parts the system prints itself (title, 文号, unit, date,
review trail) are compared with the item so the drafter sees any difference before saving.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from flask import current_app
from werkzeug.datastructures import FileStorage

from tracker.core.errors import ValidationFailed
from tracker.handling.models import Assignment
from tracker.proposals.models import Disclosure
from tracker.replies import docx_letter

DOCX_LIMIT = 10 * 1024 * 1024
DRAFT_FIELDS = ("body", "salutation", "opening", "closing", "contact_name", "contact_phone",
                "cc", "result_class", "disclosure")
DISCLOSURE_TEXT = {"此件公开发布": Disclosure.public, "主动公开": Disclosure.public,
                   "公开": Disclosure.public, "依申请公开": Disclosure.on_request,
                   "不予公开": Disclosure.not_public, "不公开": Disclosure.not_public}


@dataclass
class WordDraft:
    """What a Word file gives the draft form, and what the drafter is shown about it."""

    values: dict                    # draft form field -> value (cc: one recipient a line)
    placements: list               # docx_letter.Placement
    dropped: list                  # docx_letter.Dropped
    checks: list[str] = field(default_factory=list)   # differences from the item, warnings

    def notices(self, used: set[str] | None = None) -> list[str]:
        """Lines for a flash message or the API's notices (``used``: the draft fields the
        file actually filled; default all it gave)."""
        used = set(self.values) if used is None else used
        labels = dict.fromkeys(p.label for p in self.placements if p.field in used)
        lines = [f"已从 Word 文件导入：{'、'.join(labels)}。"]
        lines += [f"未导入「{d.text[:30]}」：{d.reason}" for d in self.dropped[:10]]
        lines += self.checks
        return lines


def read_upload(upload: FileStorage) -> docx_letter.ImportedLetter:
    """The letter in an uploaded .docx, or ValidationFailed naming the docx field."""
    name = (upload.filename or "").lower()
    content = upload.stream.read(DOCX_LIMIT + 1)
    problem = None
    if not name.endswith(".docx"):
        problem = "只能上传 Word 2007 及以上版本的 .docx 文件（.doc 请先另存为 .docx）。"
    elif len(content) > DOCX_LIMIT:
        problem = "Word 文件不能超过 10 MB。"
    elif not zipfile.is_zipfile(io.BytesIO(content)):
        problem = "该文件不是有效的 Word（.docx）文件。"
    if problem is None:
        try:
            return docx_letter.read_letter(content)
        except docx_letter.DocxRefused as exc:
            problem = exc.message
    raise ValidationFailed(problem, {"docx": [problem]})


def draft_from_word(imported: docx_letter.ImportedLetter, assignment: Assignment) -> WordDraft:
    """The draft fields a Word letter fills, and its differences from the item."""
    found = imported.fields
    values: dict = {}
    for name in ("body", "salutation", "opening", "closing", "contact_name", "contact_phone"):
        if found.get(name):
            values[name] = found[name]
    if found.get("cc"):
        values["cc"] = "\n".join(found["cc"])
    checks = list(imported.warnings)
    mark = (found.get("result_class") or "").removesuffix("类")
    if mark:
        if mark in current_app.config["RESULT_CLASS_MAP"]:
            values["result_class"] = mark
        else:
            checks.append(f"类别标记「{found['result_class']}」不是本系统的办理结果类别，请在下面选择。")
    disclosure = DISCLOSURE_TEXT.get((found.get("disclosure") or "").strip())
    if disclosure is not None:
        values["disclosure"] = disclosure.value
    proposal = assignment.proposal
    title = found.get("title")
    if title and f"第{proposal.number}号" not in title:
        checks.append(f"Word 稿的标题「{title}」与本件（第{proposal.number}号）不符：答复函标题由系统生成，"
                      "请核对是否上传了其他事项的答复。")
    unit = found.get("unit")
    if unit and unit not in (assignment.unit.name, assignment.unit.short_name):
        checks.append(f"Word 稿的落款「{unit}」与办理单位「{assignment.unit.name}」不同：落款以系统为准。")
    if found.get("doc_number"):
        checks.append(f"Word 稿的文号「{found['doc_number']}」未导入：文号在发文时按本单位序列编号。")
    if found.get("date"):
        checks.append("Word 稿的成文日期未导入：答复函的日期为发文当日。")
    return WordDraft(values, imported.placements, imported.dropped, checks)

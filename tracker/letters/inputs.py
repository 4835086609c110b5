"""Check a letter's input dict and turn it into the values the template prints."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path

from tracker.core.states import ReviewLevel
from tracker.letters import fields
from tracker.letters.text import greeting, paragraphs

DOC_NUMBER_RE = re.compile(r"^\S+〔(19|20)\d{2}〕[1-9]\d*号$")
CN_DATE_RE = re.compile(r"^(\d{4})年([1-9]|1[0-2])月([1-9]|[12]\d|3[01])日$")
ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
KINDS = {"suggestion": "代表建议", "proposal": "委员提案"}


def letter_title(meeting: str, number: str, kind: str) -> str:
    """对省十四届人大三次会议第212号代表建议的答复 (the letter's title, and its public page's)."""
    return f"对{meeting}第{number}号{KINDS[kind]}的答复"


# The marks of DOMAIN.md's reply letter (此件公开发布 / 依申请公开 / 不予公开).
DISCLOSURES = {"public": "此件公开发布", "on_request": "依申请公开", "not_public": "不予公开",
               "此件公开发布": "此件公开发布", "公开": "此件公开发布", "依申请公开": "依申请公开",
               "不予公开": "不予公开"}
DEFAULT_RESULT_CLASSES = ("A", "B", "C")
TITLE_CHARS_PER_LINE = 20   # 156 mm of 22 pt characters
MAX_TEXT = fields.BODY_MAX


FIELD_LABELS = {
    "kind": "类型", "meeting": "会议", "number": "编号", "title": "标题", "proposers": "提出人",
    "lead_unit": "主办单位", "co_units": "协办单位", "doc_number": "文号",
    "result_class": "办理结果类别", "result_class_label": "类别说明", "disclosure": "公开属性",
    "signer": "签发人", "salutation": "称呼", "opening": "开头语", "body": "正文",
    "closing": "结束语", "date": "成文日期", "contact": "联系人", "cc": "抄送",
    "contact_name": "联系人", "contact_phone": "联系电话",
    "reviewers": "审核人", "letterhead": "信函格式", "seal": "印章", "watermark": "水印",
    "signature": "电子签名", "verification": "核验信息",
    "data": "输入",
}


class LetterInputError(ValueError):
    """The letter's input is unusable; ``field`` names the offending key."""

    def __init__(self, field: str, message: str):
        label = FIELD_LABELS.get(field, field)
        super().__init__(f"{label}（{field}）：{message}")
        self.field = field
        self.message = message

    def __reduce__(self):
        # Rebuilt from (field, message) when it crosses from the render worker process.
        return type(self), (self.field, self.message)

    @property
    def reason(self) -> str:
        """The Chinese reason for a user: 「联系人：过长（不超过 30 字）」."""
        return f"{FIELD_LABELS.get(self.field, self.field)}：{self.message}"


@dataclass
class Letter:
    """Everything the template prints, already checked and in display form."""

    kind: str
    title_lines: list[str]
    title: str
    doc_number: str | None
    result_class: str | None
    disclosure: str | None
    signer: str | None
    salutation: str
    opening: str
    body: list  # tracker.letters.text.Paragraph
    closing: str | None
    unit: str
    date: str
    contact: str | None
    cc: str | None
    reviewers: str | None
    letterhead: str | None
    seal: bytes | None
    watermark: str | None
    # The seal comes with the digital signature: lay the block out for it, leave it empty.
    signature: bool = False
    # (code or None in previews, URL of the QR code)
    verification: tuple[str | None, str] | None = None
    extra: dict = field(default_factory=dict)

    @property
    def verification_lines(self) -> list[str]:
        """The two lines printed beside the QR code, under the 附注."""
        if not self.verification:
            return []
        code, url = self.verification
        page = url.split("/verify", 1)[0] + "/verify"
        return [f"核验码：{code or '（发文时生成）'}", f"扫码或访问 {page} 核验本函"]


def _text(data: dict, key: str, *, required: bool = False, limit: int = 500,
          name: str | None = None) -> str | None:
    """The stripped text at data[key]; errors name ``name`` (default: key)."""
    value = data.get(key)
    key = name or key
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise LetterInputError(key, "不能为空")
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise LetterInputError(key, "应为文字")
    value = str(value).strip()
    if len(value) > limit:
        raise LetterInputError(key, f"过长（不超过 {limit} 字）")
    if fields.UNPRINTABLE_RE.search(value):
        raise LetterInputError(key, "含有控制字符或无法打印的字符")
    return value


def _names(data: dict, key: str, *, required: bool = False) -> list[str]:
    value = data.get(key)
    if value is None:
        value = []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise LetterInputError(key, "应为名称列表")
    names = [v.strip() for v in value if v and v.strip()]
    if required and not names:
        raise LetterInputError(key, "至少要有一个")
    limit = fields.CC_NAME_MAX if key == "cc" else fields.AUTHOR_NAME_MAX
    long = next((n for n in names if len(n) > limit), None)
    if long is not None:
        raise LetterInputError(key, f"名称「{long[:20]}……」过长（不超过 {limit} 字）")
    if key == "cc" and len(names) > fields.CC_LINES_MAX:
        raise LetterInputError(key, f"最多 {fields.CC_LINES_MAX} 个")
    return names


def chinese_date(value) -> str:
    """``2026-06-18`` (or a date, or 2026年6月18日) as ``2026年6月18日``; else raise."""
    if isinstance(value, Date):
        return f"{value.year}年{value.month}月{value.day}日"
    if not isinstance(value, str) or not value.strip():
        raise LetterInputError("date", "不能为空，格式为 2026-06-18")
    value = value.strip()
    iso = ISO_DATE_RE.match(value)
    cn = CN_DATE_RE.match(value)
    try:
        if iso:
            day = Date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif cn:
            day = Date(int(cn[1]), int(cn[2]), int(cn[3]))
        else:
            raise ValueError
    except ValueError:
        raise LetterInputError("date", f"日期「{value}」无效，格式为 2026-06-18") from None
    if not 1900 <= day.year <= 2099:
        raise LetterInputError("date", f"日期「{value}」的年份不合理")
    return f"{day.year}年{day.month}月{day.day}日"


# Characters that must not start a line (closing punctuation) or end one (opening).
NO_LINE_START = set("，。、；：？！）》」』】〕”’…—·")
NO_LINE_END = set("（《「『【〔“‘")


def _width(text: str) -> float:
    return sum(0.5 if ord(ch) < 0x2000 else 1.0 for ch in text)


def balanced_lines(title: str, per_line: int = TITLE_CHARS_PER_LINE) -> list[str]:
    """Break a title into the fewest lines that fit, of nearly equal width, preferring to keep
    the sense whole (GB/T 9704 7.3.3: …会议 | 第N号…) when that costs little balance."""
    plain = _balanced(title, per_line, joint_bonus=0.0)
    joined = _balanced(title, per_line, joint_bonus=2.0)
    widths = [_width(line) for line in joined]
    if max(widths) <= per_line and max(widths) - min(widths) <= 3:
        return joined
    return plain


def _balanced(title: str, per_line: int, joint_bonus: float) -> list[str]:
    total = _width(title)
    count = max(1, math.ceil(total / per_line))
    if count == 1:
        return [title]
    cumulative = [0.0]
    for ch in title:
        cumulative.append(cumulative[-1] + _width(ch))
    breaks, start = [], 0
    for k in range(1, count):
        target = total * k / count
        best, best_cost = None, None
        for i in range(start + 1, len(title)):
            if cumulative[i] - cumulative[start] > per_line:
                break
            cost = abs(cumulative[i] - target)
            if title[i] in NO_LINE_START or title[i - 1] in NO_LINE_END:
                cost += 10
            if (title[i - 1] + title[i]).isascii() and (title[i - 1] + title[i]).isalnum():
                cost += 10  # keep numbers and Latin words whole
            if title[i] == "第" and title[max(0, i - 2):i] == "会议":
                cost -= joint_bonus  # the joint between the meeting and the item number
            if best_cost is None or cost < best_cost:
                best, best_cost = i, cost
        best = best or min(len(title) - 1, start + per_line)
        breaks.append(best)
        start = best
    edges = [0, *breaks, len(title)]
    return [title[a:b] for a, b in zip(edges, edges[1:])]


def _seal(value) -> bytes | None:
    if value is None or value is False or value == "":
        return None
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, (str, Path)):
        # A path chosen by the application (the unit's seal file), never by the drafter.
        try:
            data = Path(value).read_bytes()
        except OSError as exc:
            raise LetterInputError("seal", f"印章图片无法读取（{exc.strerror}）") from None
    else:
        raise LetterInputError("seal", "应为 PNG 图片的路径或内容")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise LetterInputError("seal", "印章图片必须是 PNG 格式")
    if len(data) > 5 * 1024 * 1024:
        raise LetterInputError("seal", "印章图片过大（不超过 5 MB）")
    return data


VERIFY_CODE_RE = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){1,4}$")
VERIFY_URL_RE = re.compile(r"^https?://[!-~]{1,300}$")


def _verification(value) -> tuple[str | None, str] | None:
    if not value:
        return None
    if not isinstance(value, dict):
        raise LetterInputError("verification", "应为 {code, url}")
    code, url = value.get("code"), value.get("url")
    if code is not None and not (isinstance(code, str) and VERIFY_CODE_RE.match(code)):
        raise LetterInputError("verification", "核验码应为以“-”分组的大写字母和数字")
    if not (isinstance(url, str) and VERIFY_URL_RE.match(url)):
        raise LetterInputError("verification", "核验网址应为 http(s):// 开头的网址")
    return code, url


def parse(data: dict, result_classes=DEFAULT_RESULT_CLASSES) -> Letter:
    """Check the input of LETTER.md / issue 4 and build the printable :class:`Letter`."""
    if not isinstance(data, dict):
        raise LetterInputError("data", "应为 JSON 对象")
    kind = data.get("kind")
    if kind not in KINDS:
        raise LetterInputError("kind", f"未知的类型「{kind}」，应为 suggestion 或 proposal")
    meeting = _text(data, "meeting", required=True, limit=fields.MEETING_MAX)
    number = _text(data, "number", required=True, limit=fields.ITEM_NUMBER_MAX)
    if not fields.ITEM_NUMBER_RE.fullmatch(number):
        raise LetterInputError("number", f"编号「{number}」不符合规则：{fields.ITEM_NUMBER_HELP}")
    title = _text(data, "title", required=True, limit=fields.TITLE_MAX)
    proposers = _names(data, "proposers", required=True)
    unit = _text(data, "lead_unit", required=True, limit=fields.UNIT_NAME_MAX)
    co_units = _names(data, "co_units")

    doc_number = _text(data, "doc_number", limit=60)
    if doc_number is not None and not DOC_NUMBER_RE.match(doc_number):
        raise LetterInputError(
            "doc_number", f"文号「{doc_number}」不符合规则：年份用六角括号〔〕、写全四位，"
            "序号不编虚位、不加“第”字，如 吉卫复议字〔2026〕12号")

    result_class = _text(data, "result_class", limit=4)
    if result_class is not None and result_class not in result_classes:
        raise LetterInputError("result_class",
                               f"办理结果类别「{result_class}」应为 {'、'.join(result_classes)} 之一")
    label = _text(data, "result_class_label", limit=40)
    disclosure = data.get("disclosure")
    if disclosure is not None and disclosure not in DISCLOSURES:
        raise LetterInputError("disclosure", f"未知的公开属性「{disclosure}」")

    body_text = data.get("body")
    if not isinstance(body_text, str) or not body_text.strip():
        raise LetterInputError("body", "正文不能为空")
    if fields.UNPRINTABLE_RE.search(body_text):
        raise LetterInputError("body", "正文含有控制字符或无法打印的字符")
    if len(body_text) > MAX_TEXT:
        raise LetterInputError("body", f"正文过长（{len(body_text)} 字，不超过 {MAX_TEXT} 字）")
    body = paragraphs(body_text)

    salutation, opening = greeting(kind, proposers, meeting, title, co_units,
                                   _text(data, "salutation", limit=fields.SALUTATION_MAX),
                                   _text(data, "opening", limit=fields.OPENING_MAX))

    contact = data.get("contact")
    contact_line = None
    if contact:
        if not isinstance(contact, dict):
            raise LetterInputError("contact", "应为 {name, phone}")
        name = _text(contact, "name", limit=fields.CONTACT_NAME_MAX, name="contact_name")
        phone = _text(contact, "phone", limit=fields.CONTACT_PHONE_MAX, name="contact_phone")
        if phone and not fields.PHONE_RE.fullmatch(phone):
            raise LetterInputError("contact_phone", f"电话「{phone}」格式不对：{fields.PHONE_HELP}")
        bits = [f"联系人：{name}" if name else "", f"电话：{phone}" if phone else ""]
        contact_line = "（" + "\u3000".join(b for b in bits if b) + "）" if any(bits) else None

    cc = _names(data, "cc")
    reviewers = data.get("reviewers")
    review_line = None
    if reviewers:
        if not isinstance(reviewers, dict):
            raise LetterInputError("reviewers", "应为 {first, second, final}")
        bits = []
        for level in ReviewLevel.chain():
            name = _text(reviewers, level.value, limit=fields.REVIEWER_MAX, name="reviewers")
            if name:
                bits.append(f"{level.label}：{name}")
        review_line = "\u3000\u3000".join(bits) or None

    letterhead = data.get("letterhead")
    if letterhead is True:
        letterhead = unit
    elif not letterhead:
        letterhead = None
    elif isinstance(letterhead, str):
        letterhead = _text(data, "letterhead", limit=fields.UNIT_NAME_MAX)
    else:
        raise LetterInputError("letterhead", "应为 true/false 或单位名称")

    title_text = letter_title(meeting, number, kind)
    return Letter(
        kind=kind, title=title_text, title_lines=balanced_lines(title_text),
        doc_number=doc_number,
        result_class=label or result_class,
        disclosure=DISCLOSURES[disclosure] if disclosure else None,
        signer=_text(data, "signer", limit=fields.SIGNER_MAX),
        salutation=salutation, opening=opening, body=body,
        closing=_text(data, "closing", limit=fields.CLOSING_MAX),
        unit=unit, date=chinese_date(data.get("date")),
        contact=contact_line,
        cc="抄送：" + "、".join(cc) + "。" if cc else None,
        reviewers=review_line,
        letterhead=letterhead, seal=_seal(data.get("seal")),
        watermark=_text(data, "watermark", limit=10),
        signature=_flag(data, "signature"),
        verification=_verification(data.get("verification")),
    )


def _flag(data: dict, key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise LetterInputError(key, "应为 true 或 false")
    return value

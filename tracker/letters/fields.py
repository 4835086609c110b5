"""The rules of every value that ends up printed on a reply letter, in one place.

The registration form, the batch import, the API, the draft form, 送审 and the renderer all
check against these, so whatever a form accepts can be rendered at the end of the cycle.
"""
from __future__ import annotations

import re

# Item numbers are identifiers, kept and printed exactly as registered: 212, 0040 (leading
# zeros are part of the number at many congresses), 12-3, T901.
ITEM_NUMBER_MAX = 20
ITEM_NUMBER_RE = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*")
ITEM_NUMBER_HELP = "编号只能包含数字、字母和连字符，按原样印在答复函上，如 212、0040、12-3、T901。"

MEETING_MAX = 100        # meetings.name
TITLE_MAX = 200          # the item's 案由
AUTHOR_NAME_MAX = 100    # one author or co-signer
UNIT_NAME_MAX = 100      # units.name
SALUTATION_MAX = 100
OPENING_MAX = 2000
CLOSING_MAX = 200
CONTACT_NAME_MAX = 30
CONTACT_PHONE_MAX = 40
# Digits (also full width), separators and 转 (extension): 0431-88900000转123, (0436)1234567.
PHONE_RE = re.compile(r"[0-9０-９\-－()（）+ ，,、转]*")
PHONE_HELP = "电话只能包含数字、+、-、括号、空格、顿号和“转”。"
CC_NAME_MAX = 100        # one recipient of the 抄送 line
CC_LINES_MAX = 30
CC_TEXT_MAX = 2000
BODY_MAX = 60000         # a typed draft and a Word import alike
# Names printed at issue (签发人, 初审/复审/终审): as long as a user's full name may be.
SIGNER_MAX = 60          # users.full_name
REVIEWER_MAX = 60
# Characters no letter may hold: control characters, lone surrogates and the two
# non-characters XML cannot carry (the .docx export would fail on them).
UNPRINTABLE_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def item_number_problem(number: str) -> str | None:
    """Why ``number`` is not a usable item number, or None."""
    if not number:
        return "必须填写编号。"
    if len(number) > ITEM_NUMBER_MAX:
        return f"编号不能超过 {ITEM_NUMBER_MAX} 个字符。"
    if not ITEM_NUMBER_RE.fullmatch(number):
        return f"编号「{number}」不符合规则：{ITEM_NUMBER_HELP}"
    return None


def cc_problem(text: str) -> str | None:
    """Why the 抄送 text (one recipient a line) cannot be printed, or None."""
    names = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(names) > CC_LINES_MAX:
        return f"抄送单位最多 {CC_LINES_MAX} 个（现有 {len(names)} 个）。"
    long = next((n for n in names if len(n) > CC_NAME_MAX), None)
    if long is not None:
        return f"抄送单位名称不能超过 {CC_NAME_MAX} 个字（「{long[:20]}……」有 {len(long)} 个字）。"
    return None

"""The public text's removals: what the administrator's rules match (telephone numbers,
e-mail and postal addresses, ID and bank numbers), the item's authors' own contact details,
and the words a reviewer marked. Each removal shows as ［已删除］.

The rules are the administrator's regular expressions, run with the `regex` module and a time
limit, so that a pattern that backtracks without end cannot hold a request: it is refused
when saved if it is too slow on a test text, and skipped (and reported) when it times out
on a real one.
"""
from __future__ import annotations

from dataclasses import dataclass

import regex

MARK = "［已删除］"
# Seconds a rule may take on one text.
RULE_TIMEOUT = 0.2
PATTERN_MAX = 500

# The rules a new installation starts with (migration f8a9b0c1d2e3 writes them; the
# administrator may change them). Name, pattern.
DEFAULT_RULES = (
    ("手机号码", r"(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"),
    ("固定电话", r"(?<!\d)(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[-－—]?)\d{7,8}(?:[-－]\d{1,6})?(?!\d)"),
    ("电子邮箱", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
    ("身份证号码",
     r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
     r"\d{3}[\dXx](?![0-9A-Za-z])"),
    # (a card number begins with 3–6; an 18-digit 统一社会信用代码 or a 索引号 is left alone)
    ("银行卡号", r"(?<![\d/])[3-6]\d{3}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?(?![\d/])"),
    ("通讯地址",
     r"(?<=(?:地址|住址|住所|家住|现住|寄至)[:：]?\s{0,2})[\p{Han}\d\-（）()]{4,60}?"
     r"(?:号|室|栋|幢|楼|单元)(?:[\p{Han}\d\-]{0,20}?(?:室|栋|幢|楼|单元))*"),
    ("邮政编码", r"(?<=邮编[:：]?\s{0,2})\d{6}(?!\d)"),
)


@dataclass(frozen=True)
class Removal:
    start: int
    end: int
    text: str
    why: str  # the rule's name, 提出人联系方式, or 审核人标记


class SlowRule(Exception):
    pass


def compile_rule(pattern: str):
    """The compiled pattern, or ValueError with a message in Chinese."""
    if not pattern or len(pattern) > PATTERN_MAX:
        raise ValueError(f"规则不能为空，也不能超过 {PATTERN_MAX} 个字符。")
    try:
        compiled = regex.compile(pattern, regex.V0)
    except regex.error as exc:
        raise ValueError(f"正则表达式有误：{exc}") from None
    if compiled.search("") is not None:
        raise ValueError("规则会匹配空字符串，请修改。")
    # Refused when it backtracks badly on a text of the kind it will meet.
    probe = ("您好，我的电话是13900001111，邮箱a.b@example.com，地址长春市朝阳区人民大街1234号。" * 40
             + "1" * 200 + "a" * 200 + "@" * 50)
    try:
        compiled.search(probe, timeout=RULE_TIMEOUT)
        list(compiled.finditer(probe, timeout=RULE_TIMEOUT * 5))
    except TimeoutError:
        raise ValueError("这条规则匹配太慢（可能无限回溯），请简化。") from None
    return compiled


def _spans_of_rules(text: str, rules) -> tuple[list[Removal], list[str]]:
    found, slow = [], []
    for name, compiled in rules:
        try:
            for match in compiled.finditer(text, timeout=RULE_TIMEOUT):
                if match.end() > match.start():
                    found.append(Removal(match.start(), match.end(), match.group(), name))
        except TimeoutError:
            slow.append(name)
    return found, slow


def _spans_of_words(text: str, words, why: str) -> list[Removal]:
    found = []
    for word in words:
        word = word.strip()
        if len(word) < 2:  # a single character would cut words apart
            continue
        start = text.find(word)
        while start >= 0:
            found.append(Removal(start, start + len(word), word, why))
            start = text.find(word, start + len(word))
    return found


@dataclass
class Redacted:
    text: str
    removals: list[Removal]   # in the original text's order, overlapping ones merged
    slow_rules: list[str]     # rules skipped for taking too long

    @property
    def count(self) -> int:
        return len(self.removals)


def redact(text: str, rules=(), contacts=(), marked=()) -> Redacted:
    """text with every match of the rules, every author contact detail and every marked word
    replaced by ［已删除］ (overlapping and adjacent matches as one)."""
    found, slow = _spans_of_rules(text, rules)
    found += _spans_of_words(text, contacts, "提出人联系方式")
    found += _spans_of_words(text, marked, "审核人标记")
    found.sort(key=lambda r: (r.start, -r.end))
    merged: list[Removal] = []
    for r in found:
        if merged and r.start <= merged[-1].end:
            last = merged[-1]
            if r.end > last.end:
                merged[-1] = Removal(last.start, r.end, text[last.start:r.end], last.why)
            continue
        merged.append(r)
    out, at = [], 0
    for r in merged:
        out.append(text[at:r.start])
        out.append(MARK)
        at = r.end
    out.append(text[at:])
    return Redacted("".join(out), merged, slow)


def segments(text: str, removals: list[Removal]) -> list[tuple[str, Removal | None]]:
    """The original text cut at the removals, for a page that shows what goes: (text, None)
    for what stays, (removed text, removal) for what goes."""
    parts, at = [], 0
    for r in removals:
        if r.start > at:
            parts.append((text[at:r.start], None))
        parts.append((text[r.start:r.end], r))
        at = r.end
    if at < len(text):
        parts.append((text[at:], None))
    return parts

"""Chinese text for the search index: the terms stored, the words a query is cut into, and
the highlighted snippets shown.

The index holds, for every run of Chinese characters, each character (unigram) and each pair
of neighbouring characters (bigram), in order, and every Latin or digit word. A query term of
one character matches the unigram; a longer term matches its bigrams as a phrase (adjacent, in
order), which is a substring match: "赵菁", "医保", "属地就医" are found wherever they are
written, whatever a word segmenter would have made of the text. jieba, with a dictionary of
the installation's unit names, places and meeting names, cuts long query terms into words
("异地就医结算问题" → 异地 / 就医 / 结算 / 问题): each word must appear, not the whole string;
and it gives the similar-items lookup its words.
"""
from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape

# The CJK ideographs (with extension A and the compatibility block) and 〇.
_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"([{_CJK}]+)|([0-9a-z]+)")
# PostgreSQL keeps positions 1..16383 and at most 256 of them per lexeme.
MAX_POSITION = 16383
MAX_POSITIONS_PER_TERM = 255
# The separator token between runs in the bigram column (SQLite), so that a phrase never
# spans two runs ("医疗，疗养" must not match "医疗养"); never produced by a query.
RUN_BREAK = "zz"
# Words a query drops when it has others: they carry no subject.
STOPWORDS = frozenset(
    "的 了 和 与 及 或 对 在 是 等 把 被 将 为 于 之 其 有 也 就 都 而 并 关于 有关 以及 进行 "
    "我们 一个 这个 那个".split())
MAX_TERMS = 8


def normalise(text: str) -> str:
    """Full-width Latin and digits as half-width, lower case (for indexing and queries)."""
    return unicodedata.normalize("NFKC", text or "").lower()


@dataclass
class Tokens:
    """A text's index terms: (position, term) lists per kind."""
    uni: list[tuple[int, str]]
    bi: list[tuple[int, str]]
    words: list[tuple[int, str]]

    def columns(self) -> dict[str, str]:
        """The three space-separated columns of the SQLite FTS5 table (positions implied by
        order; a break token between runs of the bigram column)."""
        bi, last = [], None
        for position, term in self.bi:
            if last is not None and position != last + 1:
                bi.append(RUN_BREAK)
            bi.append(term)
            last = position
        return {"uni": " ".join(t for _, t in self.uni), "bi": " ".join(bi),
                "words": " ".join(t for _, t in self.words)}

    def tsvector(self) -> str:
        """The PostgreSQL tsvector literal (no text search parser involved: the terms are
        the application's): 'term':pos,pos ... (each term is of one kind, its positions in
        order; PostgreSQL keeps positions up to MAX_POSITION, at most 256 a term)."""
        positions: dict[str, list[int]] = {}
        for kind in (self.uni, self.bi, self.words):
            for position, term in kind:
                found = positions.get(term)
                if found is None:
                    positions[term] = [position]
                elif len(found) < MAX_POSITIONS_PER_TERM and position <= MAX_POSITION:
                    found.append(position)
        return " ".join(f"'{term}':{','.join(map(str, found))}"
                        for term, found in positions.items())


# A long text goes into the index in pieces of at most CHUNK characters, each overlapping the
# previous by OVERLAP (a phrase of up to OVERLAP characters across a cut is still found):
# PostgreSQL keeps term positions up to 16,383 and 256 positions a term, past which a
# phrase could not be matched. A query's words must then appear in the same piece.
CHUNK = 8000
OVERLAP = 60


def chunks(text: str) -> list[str]:
    """The pieces a text is indexed in (the text itself when it is short), cut at a line
    end where one is near."""
    if len(text) <= CHUNK:
        return [text]
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + CHUNK)
        if end < len(text):
            line_end = text.rfind("\n", start + CHUNK // 2, end)
            end = line_end + 1 if line_end > 0 else end
        pieces.append(text[start:end])
        if end >= len(text):
            break
        start = end - OVERLAP
    return pieces


def tokens(text: str) -> Tokens:
    """The index terms of a text. Runs are separated by a gap of one position."""
    uni, bi, words = [], [], []
    position = 1
    for match in _RUN.finditer(normalise(text)):
        cjk, word = match.groups()
        if cjk:
            places = range(position, position + len(cjk))
            uni.extend(zip(places, cjk))
            bi.extend(zip(places, map("".join, zip(cjk, cjk[1:]))))
            position += len(cjk) + 1
        else:
            words.append((position, word[:60]))
            position += 2
    return Tokens(uni, bi, words)


# --- queries ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """One thing a query asks for: a Chinese string (a character, or a substring matched as
    its bigrams' phrase) or a Latin/digit word (matched as a prefix)."""
    text: str
    cjk: bool

    def fts5(self) -> str:
        if not self.cjk:
            return f'words : "{self.text}"*'
        if len(self.text) == 1:
            return f'uni : "{self.text}"'
        return 'bi : "' + " ".join(self.text[i:i + 2] for i in range(len(self.text) - 1)) + '"'

    def tsquery(self) -> str:
        if not self.cjk:
            return f"'{self.text}':*"
        if len(self.text) == 1:
            return f"'{self.text}'"
        return " <-> ".join(f"'{self.text[i:i + 2]}'" for i in range(len(self.text) - 1))


_QUOTED = re.compile(r'["“”「」『』]([^"“”「」『』]*)["“”「」『』]?')


def parse_query(query: str) -> list[Term]:
    """The terms of what a user typed: quoted parts kept whole, a Chinese run of five or more
    characters cut into words by jieba (function words dropped), at most MAX_TERMS."""
    terms: list[Term] = []
    text = normalise(query)
    parts: list[tuple[str, bool]] = []
    last = 0
    for match in _QUOTED.finditer(text):
        parts.append((text[last:match.start()], False))
        parts.append((match.group(1), True))
        last = match.end()
    parts.append((text[last:], False))
    for part, exact in parts:
        for match in _RUN.finditer(part):
            cjk, word = match.groups()
            if word:
                terms.append(Term(word[:60], False))
            elif exact or len(cjk) <= 4:
                terms.append(Term(cjk, True))
            else:
                words = [w for w in cut(cjk) if w.strip()]
                kept = [w for w in words if w not in STOPWORDS] or words
                terms.extend(Term(w, True) for w in kept)
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_TERMS]


# --- jieba ------------------------------------------------------------------------------------

_lock = threading.Lock()
_jieba = None
_dictionary_loaded_at: float | None = None
DICTIONARY_TTL = 600.0  # seconds: new unit names reach a running process within this


def _segmenter():
    """jieba's default tokenizer, with the installation's words added (once per process,
    refreshed after DICTIONARY_TTL)."""
    global _jieba, _dictionary_loaded_at
    with _lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
        if (_dictionary_loaded_at is None
                or time.monotonic() - _dictionary_loaded_at > DICTIONARY_TTL):
            for word in installation_words():
                _jieba.add_word(word)
            _dictionary_loaded_at = time.monotonic()
    return _jieba


# Places and terms of the offices' work that jieba's general dictionary cuts apart.
DOMAIN_WORDS = (
    "异地就医 属地就医 直接结算 医保 医共体 家庭医生 城乡居民 基本医疗保险 长期护理保险 "
    "人大代表 政协委员 代表建议 委员提案 承办单位 主办单位 会办单位 分办单位 答复函 "
    "营商环境 乡村振兴 黑土地 冰雪旅游 老旧小区 一网通办 义务教育 职业教育 "
    "吉林省 长春市 吉林市 四平市 辽源市 通化市 白山市 松原市 白城市 延边州 延边朝鲜族自治州 "
    "长白山 梅河口市 公主岭市"
).split()


def installation_words() -> list[str]:
    """The dictionary: domain words, and the installation's unit names (full and short),
    meeting names and meetings' regions, read from the database when there is one."""
    words = list(DOMAIN_WORDS)
    try:
        from flask import has_app_context
        if has_app_context():
            from sqlalchemy import select

            from tracker.accounts.models import Unit
            from tracker.extensions import db
            from tracker.proposals.models import Meeting

            for name, short in db.session.execute(select(Unit.name, Unit.short_name)):
                words += [w for w in (name, short) if w]
            for name, region in db.session.execute(select(Meeting.name, Meeting.region)):
                words += [w for w in (name, region) if w]
    except Exception:  # noqa: BLE001 - no tables yet (before migrations): the static words
        logging.getLogger(__name__).debug("search dictionary without database words")
    return [normalise(w) for w in words]


def cut(text: str) -> list[str]:
    """jieba's words of a text (normalised), in order."""
    return [w for w in _segmenter().lcut(normalise(text), HMM=True) if w.strip()]


def cut_words(text: str) -> list[str]:
    """The subject words of a text: jieba's words of two or more characters (and Latin/digit
    words), function words dropped, in order of first appearance."""
    seen: dict[str, None] = {}
    for word in cut(text):
        if word in STOPWORDS or not _RUN.fullmatch(word):
            continue
        if len(word) >= 2 or not re.fullmatch(rf"[{_CJK}]", word):
            seen.setdefault(word, None)
    return list(seen)


# --- highlighting -----------------------------------------------------------------------------

def _regex(term: Term) -> str:
    """A term as the index matches it: Chinese anywhere, a Latin or digit word from the
    start of a word ("12" marks 12月, not the 12 of 2012年)."""
    return re.escape(term.text) if term.cjk else r"(?<![0-9a-z])" + re.escape(term.text)


def _pattern(terms: list[Term]) -> re.Pattern | None:
    kept = sorted({t for t in terms if t.text}, key=lambda t: len(t.text), reverse=True)
    if not kept:
        return None
    return re.compile("|".join(_regex(t) for t in kept), re.IGNORECASE)


def highlight(text: str, terms: list[Term]) -> Markup:
    """The whole text, escaped, with every match of the terms in <mark>."""
    return _marked(text or "", terms, 0, len(text or ""))


def snippet(text: str, terms: list[Term], width: int = 120) -> Markup:
    """A window of the text around its first match (or its start), escaped, matches marked,
    with … where it was cut."""
    text = " ".join((text or "").split())
    pattern = _pattern(terms)
    found = pattern.search(normalise_for_search(text)) if pattern else None
    start = max(0, found.start() - width // 4) if found else 0
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    return (Markup("…") if start > 0 else Markup("")) + _marked(text, terms, start, end) + (
        Markup("…") if end < len(text) else Markup(""))


def normalise_for_search(text: str) -> str:
    """The text with the same characters at the same offsets as the original, but the
    full-width Latin letters and digits as half-width (NFKC would change lengths)."""
    return "".join(
        chr(ord(c) - 0xFEE0) if "\uff10" <= c <= "\uff5a" else c for c in text)


def contains(text: str, terms: list[Term]) -> int:
    """How often the terms occur in the text, 0 unless every one of them does (the index's
    match, checked on a few rows in Python)."""
    haystack = normalise_for_search(text or "").lower()
    total = 0
    for term in terms:
        count = len(re.findall(_regex(term), haystack))
        if not count:
            return 0
        total += count
    return total


def _marked(text: str, terms: list[Term], start: int, end: int) -> Markup:
    pattern = _pattern(terms)
    piece = text[start:end]
    if pattern is None:
        return escape(piece)
    out, last = [], 0
    for match in pattern.finditer(normalise_for_search(piece)):
        out.append(escape(piece[last:match.start()]))
        out.append(Markup("<mark>") + escape(piece[match.start():match.end()]) + Markup("</mark>"))
        last = match.end()
    out.append(escape(piece[last:]))
    return Markup("").join(out)

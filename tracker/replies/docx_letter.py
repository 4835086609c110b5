"""Read a whole reply letter typed in Word/WPS (.docx) and split it into the draft's fields.

A drafter who types the complete letter (class mark, 文号, title, salutation, opening, body,
closing, 落款, 附注, 抄送, review trail) must not get the head and the tail printed a second
time inside the body. This module reads the document in order and recognises each part of a
GB/T 9704 letter by its wording and its place: the head from the top (down to the opening),
the closing and everything after it from the bottom (up to the last body paragraph). What is
left is the body, whose headings are completed from Word's heading styles, outline levels,
automatic numbering or bold run-in headings when the typed text carries no marker.

Every decision is reported (placements, dropped, warnings) so the drafter can check the
import before saving; nothing is flattened silently (a table is refused, not linearised).

The file is untrusted: it is measured (declared and actual uncompressed size) before any XML
is parsed, and python-docx only ever sees the bytes that were measured.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from datetime import date

from lxml import etree

from tracker.core.states import ReviewLevel
from tracker.letters import fields
from tracker.letters.text import heading_level
from tracker.proposals.choices import Disclosure

MAX_EXPANDED_BYTES = 8 * 1024 * 1024  # total uncompressed size of the zip's members
MAX_BODY_CHARS = fields.BODY_MAX  # the same limit as a typed draft
# A reply runs to a few hundred paragraphs of a few dozen runs each. The 8 MB limit still
# admits a million empty paragraphs or tiny runs, each costing Python work: they are counted
# in C before anything is walked.
MAX_PARAGRAPHS = 20000
MAX_RUNS = 100000

# The head (class mark … opening) sits in the first lines; beyond this many non-empty lines
# a 收悉 or 的答复 is body text, not the head.
HEAD_WINDOW = 12
_READ_CHUNK = 64 * 1024

LABELS = {
    "title": "标题", "doc_number": "文号", "signer": "签发人", "result_class": "类别标记",
    "disclosure": "公开属性", "salutation": "称谓", "opening": "开头语", "body": "正文",
    "closing": "结束语", "unit": "落款单位", "date": "成文日期", "contact_name": "联系人",
    "contact_phone": "联系电话", "cc": "抄送", "reviewers": "审核人",
}
# fields["disclosure"] holds the label of tracker.proposals.models.Disclosure (主动公开,
# 依申请公开, 不予公开) whatever the letter typed (此件公开发布, （此件不予公开）…).
DISCLOSURE_LABELS = {d.value: d.label for d in Disclosure}
# 「初审」 → "first", for the review levels of a chain.
REVIEW_KEYS = {level.label: level.value for level in ReviewLevel.chain()}

# Notes for the parts the system generates itself: the caller compares them with the item.
CHECK_NOTES = {
    "title": "标题由系统根据会议和编号生成，此处仅用于与本件核对",
    "doc_number": "文号由系统发文时编排，此处仅用于与本件核对",
    "unit": "落款单位由系统按办理单位生成，此处仅用于与本件核对",
    "reviewers": "审核人以系统中的审核记录为准，此处仅用于核对",
}


@dataclass
class Placement:
    field: str  # draft field key (see LABELS)
    label: str  # its Chinese label
    text: str  # what was put there (body: first ~40 chars + '……（共N段）')
    note: str = ""


@dataclass
class Dropped:
    text: str
    reason: str


@dataclass
class ImportedLetter:
    fields: dict
    placements: list[Placement]
    dropped: list[Dropped]
    warnings: list[str]


class DocxRefused(ValueError):
    """The file cannot be imported; ``message`` says why, in Chinese, for the docx field."""

    field = "docx"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- WordprocessingML names -------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
PIC_NS = "http://schemas.openxmlformats.org/drawingml/2006/picture"
VML_NS = "urn:schemas-microsoft-com:vml"


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


P, R, T, TBL, TR, TC = _w("p"), _w("r"), _w("t"), _w("tbl"), _w("tr"), _w("tc")
PPR, RPR, VAL = _w("pPr"), _w("rPr"), _w("val")
FALLBACK = f"{{{MC_NS}}}Fallback"
TXBX = _w("txbxContent")
# Inside a paragraph these hold no visible text of the paragraph itself: deleted revisions,
# properties, shapes (text boxes are reported separately) and the copies Word keeps for old
# readers in mc:Fallback.
_SKIP_IN_PARAGRAPH = {_w("del"), _w("moveFrom"), PPR, RPR, _w("sdtPr"), _w("drawing"),
                      _w("pict"), _w("object"), FALLBACK, TXBX}
_REVISIONS = [_w("ins"), _w("del"), _w("moveFrom"), _w("moveTo")]
HEADER_FOOTER_REASON = "页眉页脚中的文字不作为正文导入"
_PART_REASONS = {
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header":
        HEADER_FOOTER_REASON,
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer":
        HEADER_FOOTER_REASON,
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes":
        "脚注、尾注中的文字不作为正文导入",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes":
        "脚注、尾注中的文字不作为正文导入",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments":
        "批注不作为正文导入",
}
NUMBERING_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"


def _on(element) -> bool:
    """A WordprocessingML on/off property: present and not switched off."""
    return element is not None and element.get(VAL, "true") not in ("0", "false", "off", "none")


def _has_ancestor(element, tag: str) -> bool:
    return any(a.tag == tag for a in element.iterancestors())


# --- Loading the file safely ------------------------------------------------------------

_DAMAGED = ("无法读取该 Word 文件，文件可能已损坏或不是 Word（.docx）文件。"
            "请用 Word 或 WPS 打开后另存为 .docx 再上传。")


def _too_big(size: int | None) -> DocxRefused:
    """``size`` is the declared size; None when reading found more than was declared."""
    limit = MAX_EXPANDED_BYTES // (1024 * 1024)
    amount = f"（约 {size / 1024 / 1024:.1f} MB，上限 {limit} MB）" if size \
        else f"（超过上限 {limit} MB）"
    return DocxRefused(f"Word 文件解压后的内容过大{amount}，系统拒绝读取。"
                       "请删去文中的大图片等非文字内容后再上传。")


def _load_document(content: bytes):
    """The python-docx Document of ``content``, after the size checks."""
    import docx

    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        # OLE compound file: a Word 97-2003 .doc, or a password-protected .docx.
        raise DocxRefused("这是旧版 Word（.doc）文件或加密的文件，"
                          "请在 Word 或 WPS 中取消密码并另存为 .docx 后再上传。")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except Exception:  # whatever zipfile makes of untrusted bytes, they are not a .docx
        raise DocxRefused("该文件不是有效的 Word（.docx）文件。") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        # The zip directory first: cheap, and refuses an honest bomb before any inflating.
        declared = sum(info.file_size for info in members)
        if declared > MAX_EXPANDED_BYTES:
            raise _too_big(declared)
        if "[Content_Types].xml" not in {info.filename for info in members}:
            raise DocxRefused("该文件不是有效的 Word（.docx）文件。")
        parts = _read_members(archive, members)
    # python-docx re-reads the zip by itself; hand it a copy holding exactly the bytes that
    # were measured, so a directory that lies cannot make it inflate anything more.
    measured = io.BytesIO()
    with zipfile.ZipFile(measured, "w", zipfile.ZIP_STORED) as copy:
        for name, data in parts.items():
            copy.writestr(name, data)
    measured.seek(0)
    try:
        # python-docx parses with resolve_entities=False (no entity expansion) through lxml.
        return docx.Document(measured)
    except Exception:  # any failure to parse an untrusted package means "not a usable .docx"
        raise DocxRefused(_DAMAGED) from None


def _read_members(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> dict[str, bytes]:
    """Every member, inflated through a reader that stops at the total budget.

    The directory can understate a member's size. zipfile itself stops a member at its
    declared size (and then fails the CRC); the budget keeps the bound this module's own
    rather than a detail of the standard library."""
    budget = MAX_EXPANDED_BYTES
    parts: dict[str, bytes] = {}
    try:
        for info in members:
            chunks = []
            with archive.open(info) as stream:
                while chunk := stream.read(min(_READ_CHUNK, budget + 1)):
                    budget -= len(chunk)
                    if budget < 0:
                        raise _too_big(None)
                    chunks.append(chunk)
            parts[info.filename] = b"".join(chunks)
    except DocxRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
            NotImplementedError, ValueError):
        # Bad CRC, truncated data, encrypted member, unknown compression.
        raise DocxRefused(_DAMAGED) from None
    return parts


# --- Styles, numbering and the text of a paragraph --------------------------------------

_HEADING_NAME = re.compile(r"(?:heading|标题)\s*([1-9])", re.IGNORECASE)


class _Styles:
    """Style look-ups along the basedOn chain, as Word resolves them."""

    def __init__(self, document):
        root = document.styles.element
        self._by_id: dict[str, object] = {}
        self._default: dict[str, str] = {}
        for style in root.findall(_w("style")):
            style_id = style.get(_w("styleId"))
            self._by_id.setdefault(style_id, style)
            if style.get(_w("default")) in ("1", "true", "on"):
                self._default.setdefault(style.get(_w("type")), style_id)
        size = root.find(f"{_w('docDefaults')}/{_w('rPrDefault')}/{RPR}/{_w('sz')}")
        self.default_size = _half_points(size)
        self._chains: dict[tuple[str | None, str], list] = {}
        self._paragraph_styles: dict[str | None, _ParagraphStyle] = {}

    def chain(self, style_id: str | None, kind: str = "paragraph") -> list:
        key = (style_id, kind)
        if key not in self._chains:
            current = style_id or self._default.get(kind)
            found, seen = [], set()
            while current and current not in seen and len(found) < 16:  # basedOn may loop
                seen.add(current)
                style = self._by_id.get(current)
                if style is None:
                    break
                found.append(style)
                based = style.find(_w("basedOn"))
                current = based.get(VAL) if based is not None else None
            self._chains[key] = found
        return self._chains[key]

    @staticmethod
    def name(style) -> str:
        name = style.find(_w("name"))
        return (name.get(VAL) if name is not None else "") or style.get(_w("styleId")) or ""

    @staticmethod
    def lookup(chain: list, container: str, tag: str):
        """The first ``container/tag`` (pPr or rPr) along a style chain."""
        for style in chain:
            found = style.find(f"{container}/{tag}")
            if found is not None:
                return found
        return None

    def paragraph(self, style_id: str | None) -> _ParagraphStyle:
        """What a paragraph style contributes, worked out once per style: a document may
        hold a great many paragraphs of a handful of styles."""
        if style_id not in self._paragraph_styles:
            chain = self.chain(style_id)
            level, title, name = 0, False, ""
            for style in chain:
                style_name = self.name(style)
                name = name or _display_style_name(style_name)
                match = _HEADING_NAME.fullmatch(style_name.strip())
                level = level or (int(match.group(1)) if match else 0)
                title = title or style_name.strip().lower() == "title"
            self._paragraph_styles[style_id] = _ParagraphStyle(
                name=name, level=level, title=title,
                bold=_on(self.lookup(chain, RPR, _w("b"))),
                size=_half_points(self.lookup(chain, RPR, _w("sz"))) or self.default_size,
                ppr={tag: self.lookup(chain, PPR, _w(tag))
                     for tag in ("jc", "ind", "outlineLvl", "numPr")})
        return self._paragraph_styles[style_id]


@dataclass
class _ParagraphStyle:
    name: str  # as Chinese Word shows it
    level: int  # N of a “标题 N” style, or of the one it is based on
    title: bool  # Word's Title (标题) style
    bold: bool
    size: float | None
    ppr: dict  # jc, ind, outlineLvl, numPr as the style chain sets them


def _half_points(size) -> float | None:
    try:
        return int(size.get(VAL)) / 2 if size is not None else None
    except (TypeError, ValueError):
        return None


def _display_style_name(name: str) -> str:
    """The name a Chinese Word shows: built-in 'heading 2' is “标题 2” there."""
    match = _HEADING_NAME.fullmatch(name.strip())
    if match:
        return f"标题 {match.group(1)}"
    return "标题" if name.strip().lower() == "title" else name


CN_DIGITS = "〇一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一 (the counting form used in 公文 headings)."""
    if n <= 0 or n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    text = ("" if tens == 1 else CN_DIGITS[tens]) + "十" if tens else ""
    return text + (CN_DIGITS[ones] if ones else "")


def cn_to_int(text: str) -> int | None:
    """一 -> 1, 十二 -> 12, 二十 -> 20; None for anything else."""
    digits = {c: i for i, c in enumerate(CN_DIGITS)} | {"零": 0, "○": 0}
    if text and all(c in digits for c in text):
        return int("".join(str(digits[c]) for c in text))
    tens, sep, ones = text.partition("十")
    if not sep or len(tens) > 1 or len(ones) > 1:
        return None
    if (tens and tens not in digits) or (ones and ones not in digits):
        return None
    return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)


def _format_counter(n: int, fmt: str) -> str:
    """A list counter in one of Word's number formats (the ones letters use)."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting",
               "taiwaneseCounting", "chineseLegalSimplified", "ideographLegalTraditional"):
        return cn_number(n)
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join(CN_DIGITS[int(d)] for d in str(n))
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return "甲乙丙丁戊己庚辛壬癸"[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalEnclosedParen" and 1 <= n <= 20:
        return chr(0x2474 + n - 1)
    if fmt == "decimalFullWidth":
        return str(n).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("lowerLetter", "upperLetter") and n >= 1:
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman") and 1 <= n < 4000:
        roman = ""
        for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                               (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"),
                               (5, "v"), (4, "iv"), (1, "i")):
            count, n = divmod(n, value)
            roman += numeral * count
        return roman.upper() if fmt == "upperRoman" else roman
    return str(n)


class _Numbering:
    """Word's automatic list numbers, counted in document order as Word shows them.

    WPS and Word turn a typed “一、” or “1.” into an automatic list, after which the marker is
    no longer part of the text; without this the body would lose its heading markers.
    """

    def __init__(self, document):
        root = None
        for rel in document.part.rels.values():
            if rel.reltype == NUMBERING_RT and not rel.is_external:
                root = rel.target_part.element
        self._nums = {}
        self._abstracts = {}
        if root is not None:
            for num in root.findall(_w("num")):
                self._nums.setdefault(num.get(_w("numId")), num)
            for abstract in root.findall(_w("abstractNum")):
                self._abstracts.setdefault(abstract.get(_w("abstractNumId")), abstract)
        # Lists of one abstract definition continue each other's numbering, as in Word.
        self._counters: dict[str, list[int | None]] = {}
        self._seen_nums: set[str] = set()

    def label(self, num_id: str | None, ilvl: int) -> tuple[str, bool] | None:
        """(the number Word shows, is a bullet), or None when not numbered. Called for every
        paragraph in order, empty ones too: Word counts them."""
        num = self._nums.get(num_id) if num_id not in (None, "0") else None
        if num is None:
            return None
        ref = num.find(_w("abstractNumId"))
        abstract_id = ref.get(VAL) if ref is not None else None
        abstract = self._abstracts.get(abstract_id)
        if abstract is None:
            return None
        levels = {}
        for lvl in abstract.findall(_w("lvl")):
            levels[_int(lvl.get(_w("ilvl")), 0)] = lvl
        starts = {}
        for override in num.findall(_w("lvlOverride")):
            level = _int(override.get(_w("ilvl")), 0)
            if override.find(_w("lvl")) is not None:
                levels[level] = override.find(_w("lvl"))
            start = override.find(_w("startOverride"))
            if start is not None:
                starts[level] = _int(start.get(VAL), 0)
        counters = self._counters.setdefault(abstract_id, [None] * 9)
        if num_id not in self._seen_nums:
            self._seen_nums.add(num_id)
            for level in starts:
                if 0 <= level < 9:
                    counters[level] = None  # a startOverride restarts the list here

        def start(level: int) -> int:
            if level in starts:
                return starts[level]
            lvl = levels.get(level)
            found = lvl.find(_w("start")) if lvl is not None else None
            return _int(found.get(VAL) if found is not None else None, 0)

        ilvl = min(max(ilvl, 0), 8)
        counters[ilvl] = start(ilvl) if counters[ilvl] is None else counters[ilvl] + 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = None
        lvl = levels.get(ilvl)
        if lvl is None:
            return None
        fmt = _child_val(lvl, "numFmt") or "decimal"
        if fmt == "bullet":
            return "", True
        template = _child_val(lvl, "lvlText") or ""
        legal = _on(lvl.find(_w("isLgl")))

        def number(match: re.Match) -> str:
            level = int(match.group(1)) - 1
            value = counters[level] if counters[level] is not None else start(level)
            level_fmt = _child_val(levels.get(level), "numFmt") or "decimal"
            return _format_counter(value, "decimal" if legal and level < ilvl else level_fmt)

        return ("" if fmt == "none" else re.sub(r"%([1-9])", number, template)), False


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _child_val(element, tag: str) -> str | None:
    if element is None:
        return None
    child = element.find(_w(tag))
    return child.get(VAL) if child is not None else None


_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def _clean(text: str) -> str:
    """Word's tabs and no-break spaces as plain spaces; zero-width characters removed."""
    return _ZERO_WIDTH.sub("", text.replace("\t", " ").replace("\xa0", " "))


def _run_text(run) -> str:
    parts = []
    for child in run:
        tag = child.tag
        if tag == T:
            parts.append(child.text or "")
        elif tag in (_w("tab"), _w("ptab")):
            parts.append("\t")
        elif tag == _w("br"):
            # A soft line break (Shift+Enter) separates lines; page and column breaks do not.
            if child.get(_w("type")) not in ("page", "column"):
                parts.append("\n")
        elif tag == _w("cr"):
            parts.append("\n")
        elif tag == _w("noBreakHyphen"):
            parts.append("-")
    return "".join(parts)


def _runs(element):
    """The runs of a paragraph in reading order, through hyperlinks, fields, content
    controls and accepted insertions; deleted text, shapes and fallbacks are skipped."""
    for child in element:
        if not isinstance(child.tag, str):  # comments and processing instructions
            continue
        if child.tag == R:
            yield child
        elif child.tag not in _SKIP_IN_PARAGRAPH:
            yield from _runs(child)


def _plain_text(paragraph) -> str:
    """The visible text of a w:p (hidden runs left out)."""
    return "".join(_run_text(r) for r in _runs(paragraph) if not _on(_rpr(r, "vanish")))


def _rpr(run, tag: str):
    rpr = run.find(RPR)
    return rpr.find(_w(tag)) if rpr is not None else None


# --- Lines ------------------------------------------------------------------------------

@dataclass
class _Line:
    text: str  # stripped, tabs and no-break spaces as spaces
    order: float  # position in the document, for reporting in document order
    align: str  # "center", "right" or ""
    right_ish: bool  # pushed right (alignment, leading spaces or a large indent): a 落款
    size: float | None  # largest font size in points
    bold: bytes  # per character of text: 1 bold, 0 not (bytes: a paragraph may be huge)
    style_name: str  # as Chinese Word shows it
    style_level: int  # 1-9 from a heading style (or one it is based on), else 0
    outline_level: int  # 1-9 from w:outlineLvl, else 0
    title_style: bool  # Word's “标题” (Title) style
    auto_number: str = ""  # Word's automatic number, already put in front of text


@dataclass
class _Walk:
    lines: list[_Line] = field(default_factory=list)
    dropped: list[tuple[int, Dropped]] = field(default_factory=list)
    empty: int = 0
    bullets: int = 0
    revisions: bool = False
    alt_chunks: int = 0


def _check_counts(element) -> None:
    """Refuse a part with more paragraphs or runs than any letter has."""

    def count(tag: str) -> int:
        # lxml's own xpath (python-docx's override takes no namespaces): evaluated in C.
        return int(etree._Element.xpath(element, f"count(.//w:{tag})", namespaces={"w": W_NS}))

    paragraphs = count("p")
    if paragraphs > MAX_PARAGRAPHS:
        raise DocxRefused(f"Word 文件中的段落过多（{paragraphs} 段，上限 {MAX_PARAGRAPHS} 段），"
                          "超出答复函的合理范围，系统拒绝读取。请检查文件后重试。")
    runs = count("r")
    if runs > MAX_RUNS:
        raise DocxRefused(f"Word 文件的内部结构过于零碎（{runs} 个文字片段，上限 {MAX_RUNS} 个），"
                          "系统拒绝读取。请将正文以纯文本粘贴到新文档后再上传。")


def _walk_body(document, styles: _Styles, numbering: _Numbering) -> _Walk:
    _check_counts(document.element.body)
    walk = _Walk()
    tables = []
    order = 0
    for block in _blocks(document.element.body):
        if block.tag == TBL:
            tables.append(block)
            continue
        if block.tag == _w("altChunk"):
            walk.alt_chunks += 1
            continue
        order += 1
        shapes = _shapes(block)
        for text, reason in shapes:
            walk.dropped.append((order, Dropped(text, reason)))
        if not walk.revisions and next(block.iter(*_REVISIONS), None) is not None:
            walk.revisions = True
        lines = _paragraph_lines(block, styles, numbering, order, walk)
        if not lines and not shapes:  # a paragraph holding only a picture is not "empty"
            walk.empty += 1
        for line in lines:
            walk.lines.append(line)
            order += 1
    if tables:
        raise DocxRefused(_tables_message(tables))
    return walk


def _blocks(container):
    """Paragraphs and tables of the body in order, through content controls."""
    for child in container:
        if child.tag in (P, TBL, _w("altChunk")):
            yield child
        elif child.tag == _w("sdt"):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _blocks(content)
        elif child.tag == _w("customXml"):
            yield from _blocks(child)


def _tables_message(tables: list) -> str:
    """Name the tables (at most five) so the drafter can find each of them."""
    described = []
    for number, table in enumerate(tables[:5], start=1):
        rows = table.findall(TR)
        grid = table.find(_w("tblGrid"))
        columns = len(grid.findall(_w("gridCol"))) if grid is not None else 0
        columns = columns or max((len(row.findall(TC)) for row in rows), default=0)
        first = ""
        for cell in table.iter(TC):
            first = _clean("".join(_plain_text(p) for p in cell.iter(P))).strip()
            if first:
                break
        if len(first) > 20:
            first = first[:20].rstrip() + "…"
        shown = f"首格为“{first}”" if first else "各格均为空"
        described.append(f"第{number}个表格，{len(rows)}行{columns}列，{shown}")
    listed = "；".join(described) + ("；等" if len(tables) > 5 else "")
    which = "表格" if len(tables) == 1 else f"{len(tables)}个表格"
    return (f"Word 稿正文中有{which}（{listed}）。答复正文只能是文字，系统不会把表格拆成段落。"
            "请把表格内容改写为文字，或删去表格、将其作为附件另行上传后，再导入 Word 稿。")


def _shapes(paragraph) -> list[tuple[str, str]]:
    """Text boxes, pictures and embedded objects anchored in a paragraph: never body text."""
    found = []
    for shape in paragraph.iter(_w("drawing"), _w("pict"), _w("object")):
        if _has_ancestor(shape, FALLBACK) or any(
                a.tag in (_w("drawing"), _w("pict"), _w("object")) for a in shape.iterancestors()):
            continue
        boxes = [box for box in shape.iter(TXBX) if not _has_ancestor(box, FALLBACK)]
        if boxes:
            for box in boxes:
                for p in box.iter(P):
                    text = _clean(_plain_text(p)).strip()
                    if text:
                        found.append((text, "文本框中的文字不作为正文导入"))
        elif shape.find(f".//{{{PIC_NS}}}pic") is not None or \
                shape.find(f".//{{{VML_NS}}}imagedata") is not None:
            found.append(("（图片）", "图片不能导入答复正文，如需要请作为附件上传"))
        elif shape.tag == _w("object"):
            found.append(("（嵌入对象）", "嵌入的对象不能导入答复正文，如需要请作为附件上传"))
    return found


def _paragraph_lines(p, styles: _Styles, numbering: _Numbering, order: int,
                     walk: _Walk) -> list[_Line]:
    """The non-empty lines of a paragraph (soft line breaks split it), with its formatting."""
    ppr = p.find(PPR)
    style = styles.paragraph(_child_val(ppr, "pStyle"))

    def para_prop(tag: str):
        direct = ppr.find(_w(tag)) if ppr is not None else None
        return direct if direct is not None else style.ppr[tag]

    raw, bold, size = _formatted_text(p, styles, style)
    # Automatic numbering: the paragraph may give only the level, its style the list.
    direct = ppr.find(_w("numPr")) if ppr is not None else None
    auto_number = ""
    if direct is not None or style.ppr["numPr"] is not None:
        styled = style.ppr["numPr"]
        label = numbering.label(_child_val(direct, "numId") or _child_val(styled, "numId"),
                                _int(_child_val(direct, "ilvl") or _child_val(styled, "ilvl"),
                                     0))
        if label:
            auto_number, is_bullet = label
            if is_bullet and raw.strip():
                walk.bullets += 1
    if not raw.strip():
        return []
    jc = para_prop("jc")
    align = {"center": "center", "right": "right", "end": "right"}.get(
        jc.get(VAL) if jc is not None else "", "")
    ind = para_prop("ind")
    # 落款 is often pushed right by a large left indent instead of right alignment.
    indented = ind is not None and (_int(ind.get(_w("left")) or ind.get(_w("start")), 0) >= 2880
                                    or _int(ind.get(_w("leftChars")), 0) >= 1000)
    outline = para_prop("outlineLvl")
    outline_level = _int(outline.get(VAL), 9) + 1 if outline is not None else 0
    outline_level = outline_level if 1 <= outline_level <= 9 else 0  # 10 is "body text"

    lines = []
    offset = 0
    for index, piece in enumerate(raw.split("\n")):
        piece_bold = bold[offset:offset + len(piece)]
        offset += len(piece) + 1
        lead = len(piece) - len(piece.lstrip())
        text = piece.strip()
        mask = bytes(piece_bold[lead:lead + len(text)])
        number = auto_number if index == 0 else ""
        if number and text:
            text, mask = number + text, mask[:1] * len(number) + mask
        if not text:
            continue
        lines.append(_Line(
            text=text, order=order + len(lines), align=align,
            right_ish=align == "right" or lead >= 4 or indented, size=size, bold=mask,
            style_name=style.name, style_level=style.level, outline_level=outline_level,
            title_style=style.title, auto_number=number))
    return lines


def _formatted_text(p, styles: _Styles, style: _ParagraphStyle
                    ) -> tuple[str, bytearray, float | None]:
    """A paragraph's visible text, whether each character is bold, and its largest font
    size, as the run, its character style and the paragraph style decide."""
    pieces: list[str] = []
    bold = bytearray()
    size = None
    for run in _runs(p):
        rpr = run.find(RPR)
        if rpr is not None and _on(rpr.find(_w("vanish"))):  # hidden text is not the letter's
            continue
        text = _clean(_run_text(run))
        if not text:
            continue
        char_style = _child_val(rpr, "rStyle")
        run_chain = styles.chain(char_style, "character") if char_style else []
        b = rpr.find(_w("b")) if rpr is not None else None
        if b is None:
            b = styles.lookup(run_chain, RPR, _w("b"))
        run_bold = _on(b) if b is not None else style.bold
        run_size = _half_points(rpr.find(_w("sz")) if rpr is not None else None) \
            or _half_points(styles.lookup(run_chain, RPR, _w("sz"))) or style.size
        pieces.append(text)
        bold += (b"\1" if run_bold else b"\0") * len(text)
        if text.strip() and run_size and (size is None or run_size > size):
            size = run_size
    return "".join(pieces), bold, size


def _part_texts(document) -> list[Dropped]:
    """Text in headers, footers, notes and comments: reported, never body."""
    from docx.oxml.parser import parse_xml  # python-docx's parser: no entity expansion

    dropped, seen = [], set()
    for rel in document.part.rels.values():
        reason = _PART_REASONS.get(rel.reltype)
        if reason is None or rel.is_external or rel.target_part.partname in seen:
            continue
        seen.add(rel.target_part.partname)
        element = getattr(rel.target_part, "element", None)
        if element is None:  # a part python-docx keeps as bytes (footnotes, comments)
            try:
                element = parse_xml(rel.target_part.blob)
            except Exception:  # unreadable notes are not worth refusing the letter for
                continue
        _check_counts(element)
        for p in element.iter(P):
            if _has_ancestor(p, FALLBACK):
                continue
            text = _clean(_plain_text(p)).strip()
            if text:
                dropped.append(Dropped(text, reason))
    return dropped


# --- Recognising the parts --------------------------------------------------------------

_SENTENCE_END = "。！？；!?;"
_COLON = "：:"
# Full-width and half-width brackets, both seen in typed 文号 and 附注.
_DOC_NUMBER = re.compile(
    r"(?P<prefix>[\u4e00-\u9fffA-Za-z]{1,20}?)\s*(?P<open>[〔\[［(（【])\s*"
    r"(?P<year>[0-9０-９]{4})\s*(?P<close>[〕\]］)）】])\s*(?P<di>第)?\s*"
    r"(?P<number>[0-9０-９]{1,6})\s*号")
_SIGNER = re.compile(r"签\s*发\s*人\s*[:：]\s*")
_CLASS = re.compile(r"[（(]?\s*([ABCＡＢＣabc])\s*类?\s*[）)]?")
_DISCLOSURE = re.compile(r"[（(]?\s*(?:此件)?\s*(公开发布|主动公开|依申请公开|不予公开|不公开)\s*[）)]?")
_DISCLOSURE_VALUES = {"公开发布": "public", "主动公开": "public", "依申请公开": "on_request",
                      "不予公开": "not_public", "不公开": "not_public"}
_OPENING = re.compile(r"收悉|(?:答复|函复)如下")
_OPENING_END = re.compile(r"(?:答复|函复)如下\s*[：:]")
_SALUTATION_WORDS = re.compile(
    r"(?:^尊敬的.+|.+(?:代表|委员|同志|先生|女士|主任|主席|老师))\s*[：:]$")
_MERGED_SALUTATION = re.compile(
    r"^(?P<salutation>(?:尊敬的)?[^，。；：:,;]{1,24}?(?:代表|委员|同志|先生|女士)\s*[：:])"
    r"\s*(?P<rest>.+)$")
_TITLE_START = re.compile(r"^(?:关于|对)")
_CLOSING = re.compile(
    r"^(?:(?:再次|衷心|诚挚|真诚|非常|十分|最后[，,]?|在此[，,]?)?(?:感谢|谢谢|致谢)"
    r"|(?:特此|专此)(?:答复|函复|复函)|此复"
    r"|欢迎.{0,40}(?:意见|建议)"
    r"|(?:对|向)[^。]{0,60}(?:感谢|谢意))")
_CONTACT = re.compile(r"^(?:联\s*系\s*人|(?:联\s*系\s*)?电\s*话)")
_REVIEW = re.compile(r"(" + "|".join(REVIEW_KEYS) + r")(?:人)?\s*[:：]\s*")
_CC = re.compile(r"^抄\s*送\s*[:：]\s*(?P<rest>.*)$")
_ISSUED = re.compile(r"印发[。.]?$")
_ATTACHMENT = re.compile(r"^附\s*件\s*[\d１-９]*\s*[:：]")
_LIST_ITEM = re.compile(r"^[0-9０-９]+[.．、]")
_SEPARATOR = re.compile(r"^[\-—─━_=－＿~～·.。…\s]{3,}$")
_PAGE_NUMBER = re.compile(r"^[-—－]\s*[0-9０-９]{1,3}\s*[-—－]$")
_LETTERHEAD = re.compile(r"^.{2,28}文件$")

_FULLWIDTH_DIGITS = {ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")}
_DATE_ARABIC = re.compile(
    r"^(?P<y>[0-9０-９]{4})\s*年\s*(?P<m>[0-9０-９]{1,2})\s*月\s*(?P<d>[0-9０-９]{1,2})\s*日$")
_DATE_NUMERIC = re.compile(r"^(?P<y>\d{4})\s*[-./]\s*(?P<m>\d{1,2})\s*[-./]\s*(?P<d>\d{1,2})$")
_DATE_CHINESE = re.compile(
    r"^(?P<y>[〇零○Ｏ0一二三四五六七八九]{4})\s*年\s*(?P<m>[一二三四五六七八九十]{1,2})\s*月"
    r"\s*(?P<d>[一二三四五六七八九十]{1,3})\s*日$")
_DATE_CANONICAL = re.compile(r"^\d{4}年[1-9]\d?月[1-9]\d?日$")


def _fold(text: str) -> str:
    """Full-width letters, digits and brackets as half-width, for matching only."""
    return unicodedata.normalize("NFKC", text)


def _sentence_like(text: str) -> bool:
    """Body prose rather than a head line (those are short and carry no sentence end)."""
    return len(text) > 100 or text[-1] in _SENTENCE_END


def _is_opening(text: str) -> bool:
    return len(text) <= 600 and bool(_OPENING.search(text)) and not heading_level(text)


def _loose_salutation(text: str) -> bool:
    """A short line ending in a colon: the salutation when an opening or title frames it."""
    return (len(text) <= 30 and text[-1] in _COLON and "。" not in text
            and not heading_level(text))


def _strict_salutation(text: str) -> bool:
    """Without a frame, only a line that reads like a form of address."""
    return _loose_salutation(text) and bool(_SALUTATION_WORDS.match(text))


def _is_closing(text: str) -> bool:
    return len(text) <= 200 and not heading_level(text) and bool(_CLOSING.match(text))


def parse_date(text: str) -> tuple[date | None, bool] | None:
    """(the date, whether it was written the standard way), None when not a date line;
    (None, …) for a date line naming no real day."""
    text = text.strip()
    arabic = _DATE_ARABIC.match(text) or _DATE_NUMERIC.match(text)
    if arabic:
        y, m, d = (int(arabic.group(k).translate(_FULLWIDTH_DIGITS)) for k in "ymd")
        standard = bool(_DATE_CANONICAL.match(text))
    else:
        chinese = _DATE_CHINESE.match(text)
        if not chinese:
            return None
        digits = {c: str(i) for i, c in enumerate(CN_DIGITS)} | {"零": "0", "○": "0",
                                                                   "Ｏ": "0", "0": "0"}
        y = int("".join(digits[c] for c in chinese.group("y")))
        m, d = cn_to_int(chinese.group("m")), cn_to_int(chinese.group("d"))
        standard = False
        if m is None or d is None:
            return None, False
    try:
        return date(y, m, d), standard
    except ValueError:
        return None, standard


def _names(text: str) -> str:
    """A person's name as typed, without the padding put between two characters."""
    text = text.strip().strip("，,；;。.、").strip()
    if re.fullmatch(r"[\u4e00-\u9fff](?:\s+[\u4e00-\u9fff])+", text):
        return re.sub(r"\s+", "", text)
    return re.sub(r"\s+", " ", text)


def _phone(text: str) -> str:
    text = _fold(text).strip(" 。.，,；;")
    text = re.sub(r"[—–－]", "-", text)
    return re.sub(r"\s*[，,；;、/]\s*", " ", text)


@dataclass
class _HeadItems:
    """What one head line holds (several items may share a line)."""

    doc_number: re.Match | None = None
    signer: str = ""
    signer_first: bool = False  # 签发人 typed before the 文号 on the line
    result_class: str = ""
    disclosure: tuple[str, str] | None = None  # (value, as typed)
    unknown: list[str] = field(default_factory=list)


def _head_items(text: str, *, complete: bool = False) -> _HeadItems | None:
    """The class mark, disclosure, signer and 文号 on a head line; None if it has none, or
    if it is prose that merely cites a 文号. ``complete``: nothing else may be on the line."""
    # Head lines are short and carry no sentence punctuation (and no regex should scan a
    # huge paragraph).
    if len(text) > 100 or any(mark in text for mark in "。，；,;《"):
        return None
    items = _HeadItems()
    rest = text
    doc = _DOC_NUMBER.search(rest)
    if doc:
        items.doc_number = doc
        rest = rest[:doc.start()] + " " + rest[doc.end():]
    signer = _SIGNER.search(rest)
    if signer:
        before, after = rest[:signer.start()], rest[signer.end():]
        names = after.split()
        taken = []
        # 何　明 is one name padded to the width of three characters; further short
        # CJK tokens are co-signers (联合发文).
        while names and re.fullmatch(r"[\u4e00-\u9fff·]{1,5}", names[0]):
            token = names.pop(0)
            if taken and len(taken[-1]) == 1 and len(token) == 1:
                taken[-1] += token
            else:
                taken.append(token)
        items.signer = "、".join(taken)
        items.signer_first = not doc or signer.start() < doc.start()
        rest = before + " " + " ".join(names)
    for token in rest.split():
        folded = _fold(token)
        if _CLASS.fullmatch(folded) and not items.result_class:
            items.result_class = _CLASS.fullmatch(folded).group(1).upper()
        elif _DISCLOSURE.fullmatch(folded) and not items.disclosure:
            items.disclosure = (_DISCLOSURE_VALUES[_DISCLOSURE.fullmatch(folded).group(1)], token)
        else:
            items.unknown.append(token)
    known = items.doc_number or items.signer or items.result_class or items.disclosure
    if not known or (items.unknown and (complete or not (items.doc_number or items.signer))):
        return None
    return items


def _contact(text: str) -> tuple[str, str] | None:
    """(name, phone) of a 附注 line such as （联系人：刘洋　电话：0431-88900000）."""
    inner = text.strip()
    if inner[:1] in "（(" and inner[-1:] in "）)":
        inner = inner[1:-1].strip()
    inner = inner.rstrip("。.")
    if not _CONTACT.match(inner) or len(inner) > 80:
        return None
    name = phone = ""
    both = re.match(r"^联\s*系\s*人及(?:联\s*系\s*)?电\s*话\s*[:：]\s*(?P<name>[^，,；;\s]+)"
                    r"[，,；;\s]+(?P<phone>.+)$", inner)
    if both:
        return _names(both.group("name")), _phone(both.group("phone"))
    person = re.match(r"^联\s*系\s*人\s*[:：]\s*(?P<name>.*?)\s*[，,；;]?\s*"
                      r"(?:(?:联\s*系\s*)?电\s*话\s*[:：]\s*(?P<phone>.*))?$", inner)
    if person:
        name, phone = person.group("name"), person.group("phone") or ""
        # 联系人：刘洋（0431-88900000） or 联系人：刘洋 0431-88900000, without “电话：”.
        inline = re.match(r"^(?P<name>[^\d（(]+?)\s*[（(]?(?P<phone>[\d０-９][\d０-９\-－— ]{6,})"
                          r"[）)]?$", name)
        if inline and not phone:
            name, phone = inline.group("name"), inline.group("phone")
        name, phone = _names(name), _phone(phone)
    else:
        only = re.match(r"^(?:联\s*系\s*)?电\s*话\s*[:：]\s*(?P<phone>.*)$", inner)
        if not only:
            return None
        phone = _phone(only.group("phone"))
    return (name, phone) if name or phone else None


def _reviews(text: str) -> dict[str, str] | None:
    inner = text.strip().strip("（()）")
    marks = list(_REVIEW.finditer(inner))
    if not marks or marks[0].start() != 0:
        return None
    found = {}
    for mark, following in zip(marks, marks[1:] + [None]):
        end = following.start() if following else len(inner)
        found[REVIEW_KEYS[mark.group(1)]] = _names(inner[mark.end():end])
    return found


class _Parser:
    def __init__(self, lines: list[_Line]):
        self.lines = lines
        self.fields: dict = {
            "title": "", "doc_number": "", "signer": "", "result_class": "", "disclosure": "",
            "salutation": "", "opening": "", "body": "", "closing": "", "unit": "",
            "date": None, "contact_name": "", "contact_phone": "", "cc": [],
            "reviewers": {"first": "", "second": "", "final": ""},
        }
        self.placements: list[tuple[float, Placement]] = []
        self.dropped: list[tuple[float, Dropped]] = []
        self.warnings: list[str] = []
        self.body_prefix: list[_Line] = []  # body text that shared the opening's paragraph
        self.title_level = 0  # heading level of a title typed in a heading style
        self.head_date: _Line | None = None

    # Recording ---------------------------------------------------------------------------

    def place(self, line: _Line | float, key: str, value, text: str, note: str = "") -> None:
        self.fields[key] = value
        order = line.order if isinstance(line, _Line) else line
        self.placements.append((order, Placement(key, LABELS[key], text, note)))

    def drop(self, line: _Line, reason: str, text: str | None = None) -> None:
        self.dropped.append((line.order, Dropped(line.text if text is None else text, reason)))

    # The head ----------------------------------------------------------------------------

    def split_head(self) -> int:
        """Recognise the head from the top; the index of the first line after it."""
        lines = self.lines
        window = lines[:HEAD_WINDOW]
        opening = self._find_anchor(window, _is_opening)
        if opening is not None:
            salutation = opening - 1 if opening and _loose_salutation(lines[opening - 1].text) \
                else None
            self._head_zone(0, opening if salutation is None else salutation)
            if salutation is not None:
                self.place(lines[salutation], "salutation", lines[salutation].text,
                           lines[salutation].text)
            return self._take_opening(opening)
        title = self._find_anchor(window, lambda text: text.endswith("的答复"))
        if title is not None:
            self._head_zone(0, title + 1)
            after = title + 1
            if after < len(lines) and _loose_salutation(lines[after].text):
                self.place(lines[after], "salutation", lines[after].text, lines[after].text)
                after += 1
            return after
        # Neither an opening nor a title: only lines that are unmistakably head items.
        index = 0
        while index < len(window) and \
                (items := _head_items(lines[index].text, complete=True)) is not None:
            self._record_items(lines[index], items)
            index += 1
        if index < len(lines) and _strict_salutation(lines[index].text):
            self.place(lines[index], "salutation", lines[index].text, lines[index].text)
            index += 1
        return index

    @staticmethod
    def _find_anchor(window: list[_Line], matches) -> int | None:
        """The first line that ``matches``, provided only head-like lines come before it."""
        for index, line in enumerate(window):
            if matches(line.text):
                return index
            if _sentence_like(line.text) or heading_level(line.text):
                return None
        return None

    def _head_zone(self, start: int, end: int) -> None:
        """Lines before the salutation: title, class mark, disclosure, signer and 文号."""
        lines = self.lines[start:end]
        title_end = next((i for i, line in enumerate(lines) if line.text.endswith("的答复")),
                         None)
        title_start = title_end
        if title_end is not None:
            title_start = self._title_start(lines, title_end)
            parts = lines[title_start:title_end + 1]
            title = "".join(line.text for line in parts)
            self.title_level = parts[0].style_level or parts[0].outline_level
            note = CHECK_NOTES["title"]
            if len(parts) > 1:
                note += f"（由{len(parts)}段合并）"
            self.place(parts[0], "title", title, title, note)
        for index, line in enumerate(lines):
            if title_start is not None and title_start <= index <= title_end:
                continue
            items = _head_items(line.text)
            if items is not None:
                self._record_items(line, items)
            elif (title_start is None or index < title_start) and _letterhead(line, index):
                self.drop(line, "版头（发文机关标志）由系统生成，不从 Word 导入")
            elif parse_date(line.text) is not None:
                self.head_date = line
            else:
                self.drop(line, "位于正文之前，不是可识别的版头要素，未导入")
                self.warnings.append(f"正文之前的“{line.text}”无法识别，未导入，请核对。")

    @staticmethod
    def _title_start(lines: list[_Line], end: int) -> int:
        """Where a title split over balanced lines begins (at most three lines): extend
        upwards over centred or large lines, or over a plain line that makes the title read
        “关于…” / “对…”, until it does."""
        start = end
        while start > 0 and end - start < 2:
            joined = "".join(line.text for line in lines[start:end + 1])
            if _TITLE_START.match(joined):
                break
            previous = lines[start - 1]
            if _head_items(previous.text) is not None or _LETTERHEAD.match(previous.text) \
                    or _sentence_like(previous.text) or previous.text[-1] in "，,：:":
                break
            styled = _title_formatted(previous) and _title_formatted(lines[end])
            if not styled and not (_TITLE_START.match(previous.text + joined)
                                   and len(previous.text) <= 40):
                break
            start -= 1
        return start

    def _record_items(self, line: _Line, items: _HeadItems) -> None:
        if items.result_class and not self.fields["result_class"]:
            self.place(line, "result_class", items.result_class, items.result_class)
        if items.disclosure and not self.fields["disclosure"]:
            self._place_disclosure(line, *items.disclosure)
        # Reported in the order typed: 签发人 and 文号 share a line either way round.
        for key in ("signer", "doc_number") if items.signer_first else ("doc_number", "signer"):
            if key == "signer" and items.signer and not self.fields["signer"]:
                self.place(line, "signer", items.signer, items.signer)
            elif key == "doc_number" and items.doc_number and not self.fields["doc_number"]:
                self._place_doc_number(line, items.doc_number)
        if items.unknown:
            rest = " ".join(items.unknown)
            self.drop(line, "与文号或签发人同行、无法识别的文字，未导入", rest)
            self.warnings.append(f"“{line.text}”中的“{rest}”无法识别，未导入，请核对。")

    def _place_disclosure(self, line: _Line, value: str, typed: str) -> None:
        label = DISCLOSURE_LABELS[value]
        note = "" if typed.strip("（()）") == label else f"由“{typed}”识别"
        self.place(line, "disclosure", label, label, note)

    def _place_doc_number(self, line: _Line, match: re.Match) -> None:
        year = match.group("year").translate(_FULLWIDTH_DIGITS)
        number = str(int(match.group("number").translate(_FULLWIDTH_DIGITS)))
        value = f"{match.group('prefix')}〔{year}〕{number}号"
        notes = [CHECK_NOTES["doc_number"]]
        if (match.group("open"), match.group("close")) != ("〔", "〕"):
            notes.append(f"年份括号“{match.group('open')}{match.group('close')}”"
                         "已按公文格式改为六角括号“〔〕”")
        if match.group("di") or match.group("number") != number:
            notes.append(f"原文“{match.group(0)}”中的“第”或序号前的 0 已去掉")
        self.place(line, "doc_number", value, value, "；".join(notes))

    def _take_opening(self, index: int) -> int:
        """The opening (possibly sharing a paragraph with the salutation or the first body
        sentence, or split over two paragraphs); the index after it."""
        line = self.lines[index]
        text, notes = line.text, []
        merged = _MERGED_SALUTATION.match(text)
        if merged and not self.fields["salutation"] and _OPENING.search(merged.group("rest")):
            self.place(line, "salutation", merged.group("salutation"),
                       merged.group("salutation"), "称谓与开头语在同一段，已拆开")
            text = merged.group("rest")
        following = index + 1
        if not _OPENING_END.search(text) and following < len(self.lines):
            nxt = self.lines[following].text
            if re.search(r"(?:答复|函复)如下\s*[：:]$", nxt) and len(nxt) <= 200 \
                    and not heading_level(nxt):
                text += nxt
                following += 1
                notes.append("开头语由两段合并")
        end = _OPENING_END.search(text)
        if end and text[end.end():].strip():
            # Only a one-paragraph opening can run on, so rest ends this line's text.
            rest = text[end.end():].strip()
            notes.append(f"其后的“{_excerpt(rest, 20)}”移入正文")
            self.body_prefix.append(replace(
                line, text=rest, bold=line.bold[len(line.text) - len(rest):],
                order=line.order + 0.5, auto_number=""))
            text = text[:end.end()].strip()
        self.place(line, "opening", text, text, "；".join(notes))
        return following

    # The tail ----------------------------------------------------------------------------

    def split_tail(self, start: int) -> int:
        """Recognise the closing and what follows it from the end; the index where the tail
        begins (everything from ``start`` up to it is body)."""
        lines = self.lines
        j = len(lines) - 1
        while j >= start and self._take_trailer(lines[j]):
            j -= 1
        dated = unit_done = False
        if j >= start:
            dated, unit_done = self._take_date(lines[j])
            j -= dated
        if not unit_done and j >= start and _unit_like(lines[j]) \
                and (dated or lines[j].right_ish):
            self.place(lines[j], "unit", lines[j].text, lines[j].text, CHECK_NOTES["unit"])
            j -= 1
        while j >= start and _contact(lines[j].text) is not None:  # 附注 typed above 落款
            self._take_trailer(lines[j])
            j -= 1
        j = self._drop_attachments(start, j)
        if j >= start and _is_closing(lines[j].text):
            self.place(lines[j], "closing", lines[j].text, lines[j].text)
            j -= 1
        if self.head_date is not None:  # a date typed under the title (some house styles)
            if dated:
                self.drop(self.head_date, "成文日期以落款处的日期为准")
            else:
                self._take_date(self.head_date)
        return j + 1

    def _take_trailer(self, line: _Line) -> bool:
        """附注, 抄送, review trail, 印发 line or a disclosure note after the date."""
        text = line.text
        if len(text) > 500:  # even a long 抄送 list is shorter: body prose
            return False
        reviews = _reviews(text)
        if reviews:
            reviewers = dict(self.fields["reviewers"])
            for key, name in reviews.items():
                reviewers[key] = reviewers[key] or name
            shown = "，".join(f"{label}：{reviewers[key]}" for label, key in REVIEW_KEYS.items()
                             if reviewers[key])
            self.placements = [(o, p) for o, p in self.placements if p.field != "reviewers"]
            self.place(line, "reviewers", reviewers, shown, CHECK_NOTES["reviewers"])
            return True
        cc = _CC.match(text)
        if cc:
            units = [u.strip() for u in re.split(r"[、，,；;]", cc.group("rest").rstrip("。."))]
            units = [u for u in units if u]
            self.place(line, "cc", units + self.fields["cc"], "、".join(units))
            return True
        contact = _contact(text)
        if contact:
            name, phone = contact
            if name and not self.fields["contact_name"]:
                self.place(line, "contact_name", name, name)
            if phone and not self.fields["contact_phone"]:
                note = ""
                if not re.fullmatch(r"[0-9+\-（）() ]*", phone) or len(phone) > 40:
                    note = "电话只能包含数字、+、- 和括号，请修改"
                    self.warnings.append(f"联系电话“{phone}”含有其他字符，保存前请修改。")
                self.place(line, "contact_phone", phone, phone, note)
            return True
        if len(text) <= 60 and _ISSUED.search(text):
            self.drop(line, "版记中的印发机关和印发日期由系统生成，不从 Word 导入")
            return True
        folded = _fold(text) if len(text) <= 20 else ""
        if _DISCLOSURE.fullmatch(folded):
            if not self.fields["disclosure"]:
                self._place_disclosure(line, _DISCLOSURE_VALUES[
                    _DISCLOSURE.fullmatch(folded).group(1)], text)
            return True
        return False

    def _take_date(self, line: _Line) -> tuple[bool, bool]:
        """(a date line was taken, the 落款 unit was on the same line)."""
        text, unit = line.text, ""
        parsed = parse_date(text)
        if parsed is None:
            together = re.match(r"^(?P<unit>\S.{1,38}?)\s+(?P<date>\S{6,16}日)$", text)
            if not together or parse_date(together.group("date")) is None:
                return False, False
            unit, text = together.group("unit"), together.group("date")
            parsed = parse_date(text)
        day, standard = parsed
        if day is None:
            self.warnings.append(f"成文日期“{text}”不是有效的日期，未导入。")
            self.drop(line, "不是有效的日期", text)
        else:
            note = "" if standard or text == day.isoformat() \
                else f"日期 {text} 改为 {day.isoformat()}"
            self.place(line, "date", day.isoformat(), day.isoformat(), note)
        if unit:
            self.place(line.order - 0.5, "unit", unit, unit, CHECK_NOTES["unit"])
        return True, bool(unit)

    def _drop_attachments(self, start: int, j: int) -> int:
        """附件说明 between the body and the 落款: attachments are uploaded, not typed."""
        k = j
        while k >= start and k > j - 8:
            if _ATTACHMENT.match(self.lines[k].text):
                if all(_LIST_ITEM.match(line.text) for line in self.lines[k + 1:j + 1]):
                    for line in self.lines[k:j + 1]:
                        self.drop(line, "附件说明不导入，附件请在系统中另行上传")
                    self.warnings.append("Word 稿中的附件说明未导入，附件请在系统中另行上传。")
                    return k - 1
                break
            k -= 1
        return j

    # The body ----------------------------------------------------------------------------

    def build_body(self, lines: list[_Line]) -> list[str]:
        """The body, one paragraph a line, with heading markers completed."""
        # A title typed in “标题 1” pushes the body's headings one level down in the styles
        # (its “标题 2” sections are the letter's first level), unless the body uses
        # “标题 1” as well.
        styled = [line.style_level or line.outline_level for line in lines
                  if not heading_level(line.text)]
        shift = self.title_level if min(filter(None, styled), default=0) > self.title_level \
            else 0
        counters = [0] * 5
        out = []
        for line in lines:
            text = line.text
            if line.auto_number:
                self.placements.append((line.order + 0.1, Placement(
                    "body", LABELS["body"], text,
                    f"Word 自动编号“{line.auto_number}”已转为文字")))
            typed = heading_level(text)
            if typed:
                counters[typed] = _typed_number(text, typed) or counters[typed] + 1
                counters[typed + 1:] = [0] * (4 - typed)
                out.append(text)
                continue
            level, source = _structural_level(line, shift)
            if level:
                counters[level] += 1
                counters[level + 1:] = [0] * (4 - level)
                marker = heading_marker(level, counters[level])
                text = marker + text
                space = " " if source[:1].isascii() else ""  # 按 Word 标题样式 / 按段首加粗
                self.placements.append((line.order + 0.2, Placement(
                    "body", LABELS["body"], text, f"按{space}{source}补加层次序号“{marker}”")))
            out.append(text)
        return out



def _structural_level(line: _Line, shift: int) -> tuple[int, str]:
    """A heading level shown by Word formatting rather than typed; (0, "") if none."""
    for styled, source in ((line.style_level, f"Word 标题样式“{line.style_name}”"),
                           (line.outline_level, f"Word 大纲级别“{line.outline_level} 级”")):
        if not styled:
            continue
        level = styled - shift
        if not 1 <= level <= 4:
            return 0, ""  # 标题 5 and deeper have no 公文 marker: ordinary text
        if shift:
            source += f"（标题行用了“标题 {shift}”，层次顺延）"
        return level, source
    if _run_in_heading(line):
        return 2, "段首加粗的小标题"
    return 0, ""


def heading_marker(level: int, n: int) -> str:
    return {1: f"{cn_number(n)}、", 2: f"（{cn_number(n)}）", 3: f"{n}.", 4: f"（{n}）"}[level]


def _typed_number(text: str, level: int) -> int | None:
    if level in (1, 2):
        match = re.match(r"^[（(]?([一二三四五六七八九十〇零百]+)", text)
        return cn_to_int(match.group(1)) if match else None
    match = re.match(r"^[（(]?(\d+)", text)
    return int(match.group(1)) if match else None


def _letterhead(line: _Line, index: int) -> bool:
    """“…文件”, or (信函格式) the sender's name centred at the very top of the letter."""
    text = line.text
    return bool(_LETTERHEAD.match(text)) or (
        index == 0 and line.align == "center" and len(text) <= 30
        and text[-1] not in _SENTENCE_END + "，,：:")


def _title_formatted(line: _Line) -> bool:
    return line.align == "center" or (line.size or 0) >= 18 or line.title_style \
        or bool(line.style_level)


def _unit_like(line: _Line) -> bool:
    text = line.text
    return (len(text) <= 40 and text[-1] not in _SENTENCE_END + "，,：:" and not heading_level(text)
            and not _is_closing(text) and _contact(text) is None)


def _run_in_heading(line: _Line) -> bool:
    """A bold lead-in up to the first 。 or ： followed by ordinary (not bold) text."""
    text, bold = line.text, line.bold
    match = re.search(r"[。：:]", text[:41])
    if not match or match.start() == 0 or len(bold) != len(text):
        return False
    if not all(bold[i] for i in range(match.start()) if not text[i].isspace()):
        return False
    rest = match.end() + len(text[match.end():]) - len(text[match.end():].lstrip())
    return rest < len(text) and 1 not in bold[rest:]


def _excerpt(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length] + "……"


# --- The entry point --------------------------------------------------------------------

def read_letter(content: bytes) -> ImportedLetter:
    """Split a reply letter typed in Word into the draft's fields.

    Raises DocxRefused for a file that is not a .docx, too large once inflated, holds a
    table in the body, has no text, or whose body is longer than a draft may be.
    """
    document = _load_document(content or b"")
    try:
        styles = _Styles(document)
        walk = _walk_body(document, styles, _Numbering(document))
        part_drops = _part_texts(document)
    except DocxRefused:
        raise
    except Exception:  # a package python-docx opened but that is no Word document inside
        raise DocxRefused("该文件不是有效的 Word（.docx）文件。") from None
    if not walk.lines:
        if walk.dropped or part_drops:
            raise DocxRefused("该 Word 文件的正文中没有文字（文本框、页眉页脚中的文字不作为正文导入）。")
        raise DocxRefused("该 Word 文件中没有文字。")

    kept, layout = [], []
    for line in walk.lines:
        # Rules and page numbers typed into the body are layout, not text.
        reason = "分隔线" if _SEPARATOR.match(line.text) \
            else "页码" if _PAGE_NUMBER.match(line.text) else None
        if reason:
            layout.append((line.order, Dropped(line.text, reason)))
        else:
            kept.append(line)
    parser = _Parser(kept)
    parser.dropped += layout + walk.dropped
    body_start = parser.split_head()
    tail_start = max(parser.split_tail(body_start), body_start)
    body_lines = parser.body_prefix + kept[body_start:tail_start]
    body = parser.build_body(body_lines)
    text = "\n".join(body)
    if len(text) > MAX_BODY_CHARS:
        raise DocxRefused(f"Word 稿的正文共 {len(text)} 字，超过答复正文的上限 {MAX_BODY_CHARS} 字。"
                          "请删减正文，或把详细材料作为附件上传。")
    if body:
        parser.place(body_lines[0].order - 0.01, "body", text,
                     f"{body[0][:40]}……（共{len(body)}段）")
    else:
        parser.fields["body"] = ""
        parser.warnings.append("没有识别出答复正文，请核对 Word 稿或直接在编辑框中输入正文。")

    dropped = [item for _, item in sorted(parser.dropped, key=lambda pair: pair[0])]
    dropped += part_drops
    if walk.empty:
        dropped.append(Dropped(f"（共 {walk.empty} 个）", "空段落"))
    warnings = parser.warnings
    if walk.revisions:
        warnings.append("Word 稿中有未处理的修订，已按“接受所有修订”后的文字导入，请核对。")
    if walk.bullets:
        warnings.append(f"Word 稿中有 {walk.bullets} 段使用了项目符号，符号未导入，文字已保留。")
    if walk.alt_chunks:
        warnings.append("Word 稿中有嵌入的外部内容（如从网页粘贴的整块内容），其中的文字无法读取，"
                        "请在 Word 中将其粘贴为纯文本后重新导入。")
    placements = [p for _, p in sorted(parser.placements, key=lambda pair: pair[0])]
    return ImportedLetter(fields=parser.fields, placements=placements, dropped=dropped,
                          warnings=warnings)
